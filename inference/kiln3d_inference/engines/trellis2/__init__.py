"""The `trellis2` engine: microsoft/TRELLIS.2-4B on CUDA (written against 5565d24).

One concern per module:
- engine.py    Trellis2Engine: load, warm-up, one generation per job with its OOM retries (export
               alone, then sampling) and CUDA-error recycle
               and texture(): an uploaded mesh painted by TRELLIS.2's texturing pipeline, loaded
               on the first texturing job
- texturing.py what a texturing job hands upstream (the resolution) and undoes (the normalisation)
- weights.py   where the weights are: model folder or hub id, pipeline.json (and texturing_pipeline.json),
               checkpoints, gated parts;
               the derived config and links in the cache folder (models_dir is only read)
- environment.py  the process environment set before torch/transformers/FlexGEMM import
- probe.py     trellis2_available(): may the engine run here (packages, weights, CUDA, VRAM), and why not
- inputs.py    what a job hands upstream: RGBA or RGB (background removal or not), the seed
- progress.py  one progress bar fed by upstream's own tqdm loops (a generation's, a texturing job's)
- memory.py    out-of-memory and CUDA-error recognition, clean-up, VRAM use, the VRAM recycle threshold,
               host memory before a second pipeline loads
Its options are `Settings.trellis2` (kiln3d_inference/settings.py, KILN_TRELLIS2_*).
Nothing here imports torch, trellis2 or o_voxel at import time.
"""

from kiln3d_inference.engines.trellis2.engine import Trellis2Engine
from kiln3d_inference.engines.trellis2.probe import trellis2_available

__all__ = ["Trellis2Engine", "trellis2_available"]
