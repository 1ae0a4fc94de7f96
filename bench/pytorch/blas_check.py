#!/usr/bin/python3
"""Which BLAS PyTorch uses on this machine, with how many threads, and whether it is fast enough for a baseline.

Debian's python3-torch calls the system's libblas.so.3, which the alternatives system points at whichever BLAS is
installed: on a machine without OpenBLAS that is the reference BLAS (libblas3), under which PyTorch multiplies
matrices at ~3 GFLOP/s instead of ~100-200, and a speed comparison against it flatters the kit many times over.

    /usr/bin/python3 bench/pytorch/blas_check.py                 # prints the findings; exit 1 if too slow
    /usr/bin/python3 bench/pytorch/blas_check.py --json          # the findings on stderr, one JSON line on stdout

Prints torch's build configuration (BLAS_INFO, LAPACK_INFO), its thread count, the BLAS libraries mapped into this
process (/proc/self/maps), the libblas.so.3 alternative, and the GFLOP/s of a 1024x1024 float32 matrix product on
--threads threads (median of 10 after 3 warm-ups). Exits 1, saying why and what to install, when that rate is below
--min-gflops (default 20: OpenBLAS gives ~100 or more on two cores of a recent x86-64, the reference BLAS ~3).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import time

import torch

BLAS_LIBRARY = re.compile(r"lib(open)?blas|libcblas|libmkl|libblis|libatlas|libflexiblas")


def mapped_blas_libraries():
    """Paths of BLAS-like shared libraries mapped into this process."""
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if len(fields) >= 6 and BLAS_LIBRARY.search(os.path.basename(fields[5])):
                found.add(os.path.realpath(fields[5]))
    return sorted(found)


def blas_alternative():
    """(alternative name, the file it points at, auto or manual) for libblas.so.3, or Nones off Debian."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    name = f"libblas.so.3-{multiarch}"
    try:
        query = subprocess.run(["update-alternatives", "--query", name], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None, None, None
    value = re.search(r"^Value: (.*)$", query.stdout, re.M)
    status = re.search(r"^Status: (.*)$", query.stdout, re.M)
    if not value:
        return name, None, None
    return name, value.group(1).strip(), status.group(1).strip() if status else None


def torch_config_lines():
    """What torch.__config__.show() says about the BLAS, LAPACK and parallel back-ends (not the compiler flags)."""
    settings = re.compile(r"(BLAS_INFO|LAPACK_INFO|USE_OPENMP|USE_MKL|USE_MKLDNN)=")
    lines = []
    for line in torch.__config__.show().splitlines():
        line = line.strip().lstrip("- ").strip()
        if line.startswith("Build settings:"):
            parts = [p.strip() for p in line[len("Build settings:"):].split(",")]
            lines += [p for p in parts if settings.match(p)]
        elif re.search(r"OpenMP|MKL|oneDNN|MKL-DNN|LAPACK", line):
            lines.append(line)
    return lines


def gemm_gflops(n, threads, warmup=3, reps=10):
    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(1)
    a = torch.rand(n, n, generator=generator)
    b = torch.rand(n, n, generator=generator)
    for _ in range(warmup):
        torch.mm(a, b)
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - started)
    return 2.0 * n ** 3 / statistics.median(times) / 1e9


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="threads for the probe, as the baseline uses (2)")
    ap.add_argument("--size", type=int, default=1024, help="matrix side of the probe (1024)")
    ap.add_argument("--min-gflops", type=float, default=float(os.environ.get("BLAS_MIN_GFLOPS", "20")),
                    help="slowest acceptable rate (default 20, or $BLAS_MIN_GFLOPS)")
    ap.add_argument("--json", action="store_true", help="print one JSON line instead of the text report")
    args = ap.parse_args()

    gflops = gemm_gflops(args.size, args.threads)
    alternative, target, mode = blas_alternative()
    report = {
        "impl": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas_libraries": mapped_blas_libraries(),
        "blas_alternative": alternative,
        "blas_alternative_value": target,
        "blas_alternative_mode": mode,
        "config": torch_config_lines(),
        "gemm": f"{args.size}x{args.size} float32, {args.threads} threads",
        "gemm_gflops": round(gflops, 1),
        "min_gflops": args.min_gflops,
    }
    # With --json the findings go to stderr (for the terminal) and the JSON line alone to stdout (for the report).
    text = sys.stderr if args.json else sys.stdout
    print(f"   PyTorch {report['torch']}: {report['threads']} threads; build: {'; '.join(report['config'])}",
          file=text)
    print(f"   BLAS libraries in this process: {', '.join(report['blas_libraries']) or '(none found)'}"
          + (f"; {alternative} -> {target} ({mode})" if alternative else ""), file=text)
    print(f"   GEMM {report['gemm']}: {gflops:.1f} GFLOP/s (at least {args.min_gflops:g} needed)", file=text,
          flush=True)
    if args.json:
        print(json.dumps(report), flush=True)
    if gflops < args.min_gflops:
        reference = target is not None and "/blas/" in target
        print(f"blas_check: PyTorch multiplies {args.size}x{args.size} float32 matrices at {gflops:.1f} GFLOP/s on "
              f"{args.threads} threads, below {args.min_gflops:g}: "
              + ("libblas.so.3 is the reference BLAS (" + target + "). " if reference else "")
              + "A baseline this slow would flatter the kit. Install OpenBLAS (apt-get install libopenblas0-pthread; "
              f"it becomes the libblas.so.3 alternative unless one was set by hand: update-alternatives --auto "
              f"{alternative or 'libblas.so.3-<arch>'}), or set BLAS_MIN_GFLOPS if this machine is that slow.",
              file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
