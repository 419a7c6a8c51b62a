"""Development tools (stub generation, device checks, installers): not part of the runtime package."""
