"""Fake `torch.cuda`: one GPU whose memory figures a test sets through STATE."""

from __future__ import annotations

from dataclasses import dataclass, field

GIB = 1024**3


class OutOfMemoryError(RuntimeError):
    """Same name and base class as torch.cuda.OutOfMemoryError."""


@dataclass
class FakeCudaState:
    available: bool = True
    device_name: str = "Fake GPU 24GB"
    total_bytes: int = 24 * GIB
    used_bytes: int = 1 * GIB  # device-wide, what mem_get_info reports as taken
    reserved_bytes: int = 0  # PyTorch's caching allocator
    empty_cache_calls: int = 0
    seeds: list[int] = field(default_factory=list)

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


STATE = FakeCudaState()


@dataclass(frozen=True)
class DeviceProperties:
    name: str
    total_memory: int


def is_available() -> bool:
    return STATE.available


def device_count() -> int:
    return 1 if STATE.available else 0


def current_device() -> int:
    return 0


def get_device_name(device: int = 0) -> str:
    return STATE.device_name


def get_device_properties(device: int = 0) -> DeviceProperties:
    return DeviceProperties(STATE.device_name, STATE.total_bytes)


def mem_get_info(device: int = 0) -> tuple[int, int]:
    return STATE.total_bytes - STATE.used_bytes, STATE.total_bytes


def memory_reserved(device: int = 0) -> int:
    return STATE.reserved_bytes


def empty_cache() -> None:
    STATE.empty_cache_calls += 1


def synchronize(device: int = 0) -> None:
    """Nothing runs asynchronously here."""
