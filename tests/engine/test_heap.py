"""Tests of geostrike.engine._heap: freed memory kept for reuse while a check runs."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

import geostrike.engine._heap as heap


@pytest.fixture
def libc_calls(monkeypatch) -> list[tuple]:
    """Stand in for glibc; the calls made to it, in order."""
    calls: list[tuple] = []

    class FakeLibc:
        def mallopt(self, param: int, value: int) -> int:
            calls.append(("mallopt", param, value))
            return 1

        def malloc_trim(self, pad: int) -> int:
            calls.append(("trim", pad))
            return 1

    monkeypatch.setattr(heap, "_LIBC", FakeLibc())
    monkeypatch.delenv("GEOSTRIKE_KEEP_HEAP", raising=False)
    return calls


def _trims(calls: list[tuple]) -> list[int]:
    return [c[1] for c in calls if c[0] == "trim"]


def test_settings_change_once_then_memory_is_trimmed(libc_calls) -> None:
    with heap.heap_kept():
        with heap.heap_kept():  # nested (check → check_frame): no second change
            pass
        assert libc_calls == [
            ("mallopt", heap._M_MMAP_THRESHOLD, heap._MMAP_THRESHOLD),
            ("mallopt", heap._M_TRIM_THRESHOLD, heap._TRIM_WHILE_RUNNING),
        ]
    assert libc_calls[2:] == [
        ("mallopt", heap._M_TRIM_THRESHOLD, heap._TRIM_AFTER),
        ("trim", 0),
    ]
    assert heap._depth == 0


def test_threads_trim_only_when_the_last_leaves(libc_calls) -> None:
    entered = threading.Barrier(3)
    leave = threading.Event()

    def run() -> None:
        with heap.heap_kept():
            entered.wait()
            leave.wait()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    entered.wait()
    assert heap._depth == 2 and _trims(libc_calls) == []
    leave.set()
    for t in threads:
        t.join()
    assert heap._depth == 0 and _trims(libc_calls) == [0]


def test_switched_off_by_the_environment(monkeypatch) -> None:
    class Boom:
        def __getattr__(self, name: str):
            raise AssertionError("libc must not be touched")

    monkeypatch.setattr(heap, "_LIBC", Boom())
    monkeypatch.setenv("GEOSTRIKE_KEEP_HEAP", "0")
    with heap.heap_kept():
        pass


def test_body_errors_propagate_and_still_trim(libc_calls) -> None:
    with pytest.raises(ValueError), heap.heap_kept():
        raise ValueError("boom")
    assert heap._depth == 0 and _trims(libc_calls) == [0]


@pytest.mark.skipif(heap._LIBC is None, reason="not glibc (the tuning is a no-op there)")
def test_glibc_accepts_the_settings() -> None:
    # mallopt returns 1 on success, 0 when a value is out of range (e.g. an mmap threshold
    # above glibc's maximum): run in a fresh process so nothing else has touched malloc
    code = (
        "import ctypes, geostrike.engine._heap as h; libc = ctypes.CDLL('libc.so.6');"
        "print(libc.mallopt(h._M_MMAP_THRESHOLD, h._MMAP_THRESHOLD),"
        " libc.mallopt(h._M_TRIM_THRESHOLD, h._TRIM_WHILE_RUNNING))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]


def test_numpy_huge_pages_off_where_the_kernel_stalls_and_restored(monkeypatch):
    """Where THP defrag compacts synchronously, numpy's huge-page request is off during a
    check (nested blocks included) and restored after; GEOSTRIKE_HUGEPAGES=1 keeps it."""
    import numpy as np

    from geostrike.engine import _heap, tuned_memory

    get, put = _heap._hugepage_switch()
    before = get()
    try:
        put(True)
        monkeypatch.setattr(_heap, "_STALLS", True)
        monkeypatch.delenv("GEOSTRIKE_HUGEPAGES", raising=False)
        with tuned_memory():
            assert get() is False
            with _heap.heap_kept():
                assert get() is False
                np.ones(2_000_000)  # a large array under the setting
            assert get() is False
        assert get() is True
        monkeypatch.setenv("GEOSTRIKE_HUGEPAGES", "1")
        with tuned_memory():
            assert get() is True
        monkeypatch.delenv("GEOSTRIKE_HUGEPAGES")
        monkeypatch.setattr(_heap, "_STALLS", False)
        with tuned_memory():
            assert get() is True
    finally:
        put(before)


def test_defrag_policy_read_from_the_kernel_text(tmp_path):
    from geostrike.engine import _heap

    for text, stalls in [
        ("always defer defer+madvise [madvise] never\n", True),
        ("[always] defer defer+madvise madvise never\n", True),
        ("always defer [defer+madvise] madvise never\n", True),
        ("always [defer] defer+madvise madvise never\n", False),
        ("always defer defer+madvise madvise [never]\n", False),
    ]:
        f = tmp_path / "defrag"
        f.write_text(text)
        assert _heap._defrag_stalls(f) is stalls, text
    assert _heap._defrag_stalls(tmp_path / "missing") is False


def test_arrow_allocates_from_the_kept_heap_and_gets_its_pool_back(libc_calls, monkeypatch):
    """Issue 18: within the block Arrow's new buffers come from the system allocator (the
    kept heap: mimalloc hands freed pages back at once, and new pages cost seconds on a VM
    whose host reclaims free memory); a buffer made before is still freed by its own pool;
    the pool in use before is restored when the last block leaves."""
    import pyarrow as pa

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    kept = pa.array(range(100_000))  # from the pool in use before
    with heap.heap_kept():
        with heap.heap_kept():
            assert pa.default_memory_pool().backend_name == "system"
            made = pa.array(range(100_000))
        assert pa.default_memory_pool().backend_name == "system"
    assert pa.default_memory_pool().backend_name == before
    assert kept.sum().as_py() == made.sum().as_py() == sum(range(100_000))


def test_an_arrow_pool_chosen_by_the_user_is_left_alone(libc_calls, monkeypatch):
    import pyarrow as pa

    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", "mimalloc")
    before = pa.default_memory_pool().backend_name
    with heap.heap_kept():
        assert pa.default_memory_pool().backend_name == before
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL")
    monkeypatch.setenv("GEOSTRIKE_KEEP_HEAP", "0")
    with heap.heap_kept():
        assert pa.default_memory_pool().backend_name == before


_ARENAS = """
import ctypes, os, sys, tempfile, threading
import geostrike.engine._heap as heap
done = heap.one_arena() if sys.argv[1] == "one" else False
blocks, ready = [], threading.Barrier(5)
def hold():
    blocks.append([ctypes.create_string_buffer(200_000) for _ in range(20)])
    ready.wait()
threads = [threading.Thread(target=hold) for _ in range(4)]
for t in threads:
    t.start()
ready.wait()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mktemp()
fp = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(fp))
libc.fclose(ctypes.c_void_p(fp))
print(done, open(path).read().count("<heap nr="))
os.unlink(path)
for t in threads:
    t.join()
"""


@pytest.mark.skipif(heap._LIBC is None, reason="glibc only")
def test_the_command_keeps_one_heap_for_all_its_threads(monkeypatch) -> None:
    """Four threads allocating: four heaps more without one_arena, one in all with it
    (glibc's own count, malloc_info); the user's MALLOC_ARENA_MAX and GEOSTRIKE_KEEP_HEAP=0
    are obeyed. Each case in a process of its own (the limit is for a process's life)."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("GEOSTRIKE_KEEP_HEAP", raising=False)

    def heaps(mode: str) -> tuple[str, int]:
        out = subprocess.run(
            [sys.executable, "-c", _ARENAS, mode], capture_output=True, text=True, check=True
        ).stdout.split()
        return out[0], int(out[1])

    assert heaps("one") == ("True", 1)
    done, many = heaps("default")
    assert done == "False" and many >= 3
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert heaps("one")[0] == "False"
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    monkeypatch.setenv("GEOSTRIKE_KEEP_HEAP", "0")
    assert heaps("one")[0] == "False"


def test_the_command_asks_for_one_heap_before_anything_else(monkeypatch) -> None:
    """geostrike.cli.main limits the heaps first (before a library starts a thread)."""
    import geostrike.cli as cli

    order: list[str] = []
    monkeypatch.setattr(heap, "one_arena", lambda: order.append("one_arena") or True)
    monkeypatch.setattr(cli.cli, "main", lambda **kw: order.append("command") or 0)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert order == ["one_arena", "command"]
