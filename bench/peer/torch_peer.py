#!/usr/bin/env python3
"""The PyTorch peer of the GPU check (scripts/gpu-check.sh run): the engine's GEMM shapes,
convolution layers and training steps (bench/Engine.Bench/GpuCheck/GpuCheckCases.cs, from
bench/Shared) in PyTorch, FP32 with TF32 off for matmul and cuDNN, timed as the engine times them
(warm-up runs, then the median of timed repetitions of runs queued back to back, with CUDA events),
each row written to the rows file and printed the moment it is measured, in the engine's format,
so that every GPU figure of the engine comes with PyTorch's beside it (gpu-summary joins them).

  torch_peer.py [--device cuda|cuda:N|cpu] [--quick] [--cases FILE] [--rows FILE] [--budget S]
  torch_peer.py --list-cases [--quick]     # the built-in list, as the engine's gpu-report --list-cases prints it

--cases reads the engine's list (gpu-report --list-cases), so the two measure the same shapes; without
it the built-in copy below is used. --device cpu --quick is the dry run (plumbing, not speed).
An absent device or a python without torch is one line on stderr and exit code 1; a case that fails
is a row saying so, and exit code 1 at the end."""

import argparse
import os
import sys
import time

# The engine's lists (GpuCheckCases.cs and bench/Shared), as gpu-report --list-cases prints them.
_GEMM = {
    "4096^3": "m=4096 n=4096 k=4096 batch=1 ta=0 tb=0 ba=0",
    "1024^3": "m=1024 n=1024 k=1024 batch=1 ta=0 tb=0 ba=0",
    "256^3": "m=256 n=256 k=256 batch=1 ta=0 tb=0 ba=0",
    "conv-fwd": "m=64 n=3136 k=576 batch=8 ta=0 tb=0 ba=1",
    "conv-dX": "m=576 n=3136 k=64 batch=8 ta=1 tb=0 ba=1",
    "conv-dW": "m=64 n=576 k=3136 batch=8 ta=0 tb=1 ba=0",
}
_CONV = {
    "3x3": "n=8 cin=64 h=56 w=56 cout=64 k=3 stride=1 pad=1 dil=1 transposed=0",
    "1x1": "n=8 cin=64 h=56 w=56 cout=256 k=1 stride=1 pad=0 dil=1 transposed=0",
    "3x3-s2": "n=8 cin=64 h=56 w=56 cout=128 k=3 stride=2 pad=1 dil=1 transposed=0",
    "3x3-d2": "n=8 cin=64 h=56 w=56 cout=64 k=3 stride=1 pad=2 dil=2 transposed=0",
    "up-2x2-s2": "n=8 cin=128 h=28 w=28 cout=64 k=2 stride=2 pad=0 dil=1 transposed=1",
}
_TRAIN = {
    "resnet50-224-b64": "model=resnet50 width=64 batch=64 channels=3 size=224 classes=1000",
    "unet64-572-b1": "model=unet width=64 batch=1 channels=1 size=572 classes=2",
    "resnet50-64-b2": "model=resnet50 width=64 batch=2 channels=3 size=64 classes=1000",
    "unet8-188-b1": "model=unet width=8 batch=1 channels=1 size=188 classes=2",
    "convnet-28": "model=convnet width=32 batch=32 channels=1 size=28 classes=10",
    "resnet18s16-28-b64": "model=resnet18-small width=16 batch=64 channels=1 size=28 classes=10",
    "resnet18-64-b8": "model=resnet18 width=64 batch=8 channels=3 size=64 classes=1000",
    "unet16-188-b2": "model=unet width=16 batch=2 channels=1 size=188 classes=2",
    "vae20-28-b128": "model=vae width=0 batch=128 channels=1 size=28 classes=0",
}
_FULL = ([("gemm", "4096^3", "target"), ("train", "resnet50-224-b64", "target"), ("train", "unet64-572-b1", "target")]
         + [("gemm", n, "other") for n in ["256^3", "1024^3", "conv-fwd", "conv-dX", "conv-dW"]]
         + [("conv", n, "other") for n in _CONV]
         + [("train", n, "other") for n in ["convnet-28", "resnet18s16-28-b64", "resnet18-64-b8", "unet16-188-b2", "vae20-28-b128"]])
_QUICK = ([("gemm", "1024^3", "target"), ("train", "resnet50-64-b2", "target"), ("train", "unet8-188-b1", "target")]
          + [("gemm", n, "other") for n in ["256^3", "conv-fwd"]]
          + [("conv", n, "other") for n in ["3x3", "up-2x2-s2"]]
          + [("train", n, "other") for n in ["convnet-28", "vae20-28-b128"]])


def builtin_cases(quick):
    """The built-in list as (section, name, kind, fields) in the engine's order."""
    tables = {"gemm": _GEMM, "conv": _CONV, "train": _TRAIN}
    return [(s, n, kind, tables[s][n]) for s, n, kind in (_QUICK if quick else _FULL)]


def read_cases(path):
    """The engine's list (gpu-report --list-cases): section, name, target|other, key=value fields."""
    cases = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4 and not line.startswith("#"):
                cases.append(tuple(parts))
    return cases


def fields(text):
    """'m=64 n=3136 ta=0' -> {'m': 64, 'n': 3136, 'ta': 0} (model names stay text)."""
    out = {}
    for item in text.split():
        key, value = item.split("=", 1)
        out[key] = int(value) if value.lstrip("-").isdigit() else value
    return out


class Rows:
    """The rows file and the console, in the engine's format (bench/Engine.Bench/GpuCheck/ResultRow.cs)."""

    def __init__(self, path):
        self.failed = False
        self.file = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.file = open(path, "w", encoding="utf-8", buffering=1)
            self.file.write("# source\tsection\tcase\tpass\tms\tvalue\tunit\tnote\n")

    def fact(self, key, value):
        if self.file:
            self.file.write(f"# {key}: {value}\n")
        print(f"{key}: {value}", flush=True)

    def row(self, section, case, pass_, ms, value, unit, note="", failed=False):
        self.failed |= failed
        ms_tsv = "-" if ms is None else f"{ms:.4f}"
        ms_text = "-" if ms is None else f"{ms:.3f}"
        value_text = "-" if value is None else f"{value:.1f}"
        note = " ".join(str(note).split())
        if self.file:
            self.file.write("\t".join(["torch", section, case, pass_, ms_tsv, value_text, unit, note]) + "\n")
            self.file.flush()
        print(f"{'torch':<6} {section:<5} {case:<20} {pass_:<16} {ms_text:>10} ms {value_text:>10} {unit:<9} {note}".rstrip(), flush=True)


class Timer:
    """Warm-ups, one run timed alone to size a repetition, then the (lower) median of timed repetitions
    of runs queued back to back with one wait: CaseTimer.cs's rule, with CUDA events on a GPU."""

    def __init__(self, torch, device, quick):
        self.torch, self.cuda = torch, device.type == "cuda"
        self.warmups, self.rep_seconds, self.reps, self.max_runs = (1, 0.0, 2, 1) if quick else (2, 0.25, 3, 1000)

    def _elapsed_ms(self, runs, run):
        if self.cuda:
            start, end = self.torch.cuda.Event(enable_timing=True), self.torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(runs):
                run()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        start = time.perf_counter()
        for _ in range(runs):
            run()
        return (time.perf_counter() - start) * 1e3

    def measure(self, run, deadline):
        for _ in range(max(1, self.warmups)):
            run()
        if self.cuda:
            self.torch.cuda.synchronize()
        single = self._elapsed_ms(1, run) / 1e3
        runs = int(min(max(round(self.rep_seconds / max(single, 1e-6)), 1), self.max_runs))
        times = []
        for r in range(self.reps):
            if r > 0 and time.monotonic() > deadline:
                break
            times.append(self._elapsed_ms(runs, run) / runs)
        times.sort()
        return times[(len(times) - 1) // 2]


def conv_out(f):
    k, s, p, d = f["k"], f["stride"], f["pad"], f["dil"]
    if f["transposed"]:
        return (f["h"] - 1) * s - 2 * p + d * (k - 1) + 1, (f["w"] - 1) * s - 2 * p + d * (k - 1) + 1
    return (f["h"] + 2 * p - d * (k - 1) - 1) // s + 1, (f["w"] + 2 * p - d * (k - 1) - 1) // s + 1


def run_gemm(torch, device, timer, rows, name, f, deadline):
    m, n, k, batch = f["m"], f["n"], f["k"], f["batch"]
    gen = torch.Generator(device="cpu").manual_seed(1)
    batch_a = 1 if f["ba"] else batch
    a = torch.randn((batch_a, k, m) if f["ta"] else (batch_a, m, k), generator=gen).to(device)
    a = a.transpose(1, 2) if f["ta"] else a
    if f["ba"]:
        # A shared by the batch is a stride-0 expansion, as the engine reads it; a transposed one is
        # materialised, since bmm is slow on expanded transposed views (as the LibTorch peer does).
        a = a.expand(batch, m, k)
        a = a.contiguous() if f["ta"] else a
    b = torch.randn((batch, n, k) if f["tb"] else (batch, k, n), generator=gen).to(device)
    b = b.transpose(1, 2) if f["tb"] else b
    if batch == 1:
        a2, b2, c2 = a[0], b[0], torch.empty(m, n, device=device)
        run = lambda: torch.mm(a2, b2, out=c2)
    else:
        c = torch.empty(batch, m, n, device=device)
        run = lambda: torch.bmm(a, b, out=c)
    ms = timer.measure(run, deadline)
    rows.row("gemm", name, "gemm", ms, 2.0 * m * n * k * batch / (ms * 1e6), "GFLOP/s", "torch.mm" if batch == 1 else "torch.bmm")


def run_conv(torch, device, timer, rows, name, f, deadline):
    F = torch.nn.functional
    gen = torch.Generator(device="cpu").manual_seed(1)
    x = torch.randn(f["n"], f["cin"], f["h"], f["w"], generator=gen).to(device)
    w_shape = (f["cin"], f["cout"], f["k"], f["k"]) if f["transposed"] else (f["cout"], f["cin"], f["k"], f["k"])
    w = (0.01 * torch.randn(w_shape, generator=gen)).to(device)
    b = torch.zeros(f["cout"], device=device)
    s, p, d = f["stride"], f["pad"], f["dil"]

    def apply(x, w, b):
        if f["transposed"]:
            return F.conv_transpose2d(x, w, b, stride=s, padding=p, dilation=d)
        return F.conv2d(x, w, b, stride=s, padding=p, dilation=d)

    oh, ow = conv_out(f)
    flops = 2.0 * f["n"] * f["cin"] * f["h"] * f["w"] * f["cout"] * f["k"] ** 2 if f["transposed"] \
        else 2.0 * f["n"] * f["cout"] * oh * ow * f["cin"] * f["k"] ** 2

    def forward():
        with torch.no_grad():
            apply(x, w, b)

    ms = timer.measure(forward, deadline)
    rows.row("conv", name, "forward", ms, flops / (ms * 1e6), "GFLOP/s")
    xg, wg, bg = x.clone().requires_grad_(True), w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    dy = torch.ones(f["n"], f["cout"], oh, ow, device=device)

    def forward_backward():
        xg.grad = wg.grad = bg.grad = None  # gradients written, not accumulated, as the engine's backward
        apply(xg, wg, bg).backward(dy)

    ms = timer.measure(forward_backward, deadline)
    rows.row("conv", name, "forward+backward", ms, 3 * flops / (ms * 1e6), "GFLOP/s")


def run_train(torch, device, timer, rows, name, f, deadline):
    import peer_models
    torch.manual_seed(1)
    model = peer_models.create(f["model"], f["width"], f["channels"], f["size"], f["classes"]).to(device).train()
    optimizer = torch.optim.Adam(model.parameters())
    x = torch.full((f["batch"], f["channels"], f["size"], f["size"]), 0.5, device=device)
    targets = peer_models.targets_for(model, x, f["batch"], device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        peer_models.loss(model, x, targets).backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()  # each step waits for itself, as the engine's TrainingStep does

    ms = timer.measure(step, deadline)
    rows.row("train", name, "step", ms, f["batch"] / (ms / 1e3), "images/s",
             f"{f['model']}, batch {f['batch']}, {f['channels']}x{f['size']}x{f['size']}")


def main():
    parser = argparse.ArgumentParser(description="The PyTorch peer of the engine's GPU check.")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases")
    parser.add_argument("--rows")
    parser.add_argument("--budget", type=float, default=1e6)
    parser.add_argument("--list-cases", action="store_true")
    args = parser.parse_args()
    if args.list_cases:
        for case in builtin_cases(args.quick):
            print("\t".join(case))
        return 0
    deadline = time.monotonic() + args.budget
    try:
        import torch
    except ImportError as e:
        print(f"torch-peer: FAILED: {sys.executable} cannot import torch: {e}", file=sys.stderr)
        return 1
    # FP32 as the engine computes it: no TF32 in cuBLAS's matmuls or cuDNN's convolutions.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN choose its fastest FP32 algorithms in the warm-up
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(f"torch-peer: FAILED: no CUDA device for PyTorch {torch.__version__} (built for CUDA {torch.version.cuda}; "
              f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})", file=sys.stderr)
        return 1
    cases = read_cases(args.cases) if args.cases else builtin_cases(args.quick)
    sys.dont_write_bytecode = True  # no __pycache__ in the working tree that travels to the GPU machine
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    rows = Rows(args.rows)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        torch.cuda.set_device(index)
        props = torch.cuda.get_device_properties(index)
        rows.fact("device", f"{props.name}, {props.multi_processor_count} multiprocessors, {props.total_memory / 2**30:.1f} GiB, "
                            f"compute capability {props.major}.{props.minor}")
        rows.fact("torch", f"{torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
    else:
        rows.fact("device", f"cpu, {torch.get_num_threads()} threads (a dry run: plumbing, not speed)")
        rows.fact("torch", torch.__version__)
    rows.fact("fp32", f"matmul allow_tf32={torch.backends.cuda.matmul.allow_tf32}, cudnn allow_tf32={torch.backends.cudnn.allow_tf32}, "
                      f"cudnn.benchmark={torch.backends.cudnn.benchmark}, NVIDIA_TF32_OVERRIDE={os.environ.get('NVIDIA_TF32_OVERRIDE', 'unset')}")
    timer = Timer(torch, device, args.quick)
    runners = {"gemm": run_gemm, "conv": run_conv, "train": run_train}
    for section, name, _, text in cases:
        first_pass = {"gemm": "gemm", "train": "step"}.get(section, "forward")
        if time.monotonic() > deadline:
            rows.row(section, name, first_pass, None, None, "-", f"not run: the peer's budget of {args.budget:.0f} s was spent")
            continue
        try:
            runners[section](torch, device, timer, rows, name, fields(text), deadline)
        except Exception as e:  # one line per failed case; the others still run
            rows.row(section, name, "-", None, None, "-", f"FAILED: {type(e).__name__}: {' '.join(str(e).split())[:300]}", failed=True)
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
    print("torch-peer: FAILED (a case failed; see its row)" if rows.failed else "torch-peer: every case that ran passed", flush=True)
    return 1 if rows.failed else 0


if __name__ == "__main__":
    sys.exit(main())
