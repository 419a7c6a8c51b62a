/** A small JPEG data URL of the picture for the history list; undefined where the browser can't. */
export async function makeThumbnail(picture: Blob, size = 96): Promise<string | undefined> {
  try {
    const bitmap = await createImageBitmap(picture);
    const scale = size / Math.max(bitmap.width, bitmap.height);
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = canvas.getContext('2d');
    if (!context) return undefined;
    // JPEG has no alpha: paint the viewer's backdrop under transparent pictures.
    context.fillStyle = '#e8ebf0';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return canvas.toDataURL('image/jpeg', 0.7);
  } catch {
    return undefined;
  }
}
