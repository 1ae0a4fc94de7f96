"""Executes the kit's notebooks headless on the kit's Java kernel and checks what they produced.

Run it through environment/execute-notebooks, which picks a Python that has Jupyter and puts this checkout's
kernelspec first on JUPYTER_PATH. Each cell's text output (stdout and stderr) is echoed to the terminal as it arrives,
indented under a line naming the cell, so progress lines and ETAs of long cells show live; the executed notebook keeps
the outputs as usual. A notebook fails when:
  - a cell raises, the kernel dies, or a cell runs past the per-cell timeout;
  - a cell whose source contains the marker comment `// expect: image` has no valid image/png output;
  - the notebook has no such cell at all (every walkthrough must show at least one picture);
  - with --rerun: a cell fails, or a marked cell shows no image, when every code cell is run a second time in order on
    the same kernel after the first pass (what a user does who re-runs cells one by one in the notebook UI).
"""

import argparse
import atexit
import base64
import copy
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

KERNEL_NAME = "featurealign-java"
PROFILES = ("smoke", "cpu", "paper")
# Seconds a single cell may run; 0 means no limit. Generous: the CI machine has 2 shared cores.
DEFAULT_CELL_TIMEOUT = {"smoke": 1800, "cpu": 4 * 3600, "paper": 0}
KERNEL_STARTUP_TIMEOUT = 90
# A kernel that dies or stays silent before the first cell is started again, up to this many times in all.
KERNEL_START_ATTEMPTS = 3
IMAGE_MARKER = re.compile(r"//\s*expect:\s*image\b")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

ROOT = Path(__file__).resolve().parent.parent


class StreamingClient(NotebookClient):
    """A NotebookClient that also hands each stream output (a cell's stdout or stderr text) to `echo` the moment it
    arrives from the kernel. nbclient 0.7.2 routes every output message of the running cell through `output`."""

    echo = None  # an object with write(name, text), or None
    pass_label = "cell"  # names the pass in the echo's cell lines ("again" in the second pass)

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if self.echo is not None and msg.get("msg_type") == "stream":
            content = msg.get("content", {})
            self.echo.write(content.get("name", "stdout"), content.get("text", ""))
        return out


class LiveEcho:
    """Prints streamed cell text line by line, indented, as it arrives. A line is printed once it ends (newline or
    carriage return); the rest of a cell's last line is printed when the cell finishes. The first text of a cell is
    preceded by a line naming the cell, so the lines can be told apart from the runner's own."""

    PREFIX = "      | "

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.partial = ""
        self.header = None

    def begin(self, header):
        self.finish()
        self.header = header

    def write(self, name, text):
        if self.header is not None:
            print(self.header, file=self.out, flush=True)
            self.header = None
        self.partial += text.replace("\r\n", "\n").replace("\r", "\n")
        *lines, self.partial = self.partial.split("\n")
        for line in lines:
            print(self.PREFIX + line, file=self.out, flush=True)

    def finish(self):
        if self.partial:
            print(self.PREFIX + self.partial, file=self.out, flush=True)
        self.partial = ""
        self.header = None


class RunResult:
    """What happened to one notebook: the problems found (empty means it passed) and some counts."""

    def __init__(self, name):
        self.name = name
        self.problems = []
        self.cells = 0
        self.code_cells = 0
        self.images = 0
        self.seconds = 0.0
        self.output_path = None
        self.kernel_log = None

    @property
    def passed(self):
        return not self.problems


def first_line(source):
    for line in source.splitlines():
        if line.strip() and not IMAGE_MARKER.search(line):
            text = line.strip()
            return text if len(text) <= 60 else text[:57] + "..."
    return "(empty)"


def describe_cell(nb, index):
    return f"cell {index + 1} of {len(nb.cells)} ({first_line(nb.cells[index].source)!r})"


def is_valid_png(payload):
    try:
        data = base64.b64decode(payload if isinstance(payload, str) else "".join(payload), validate=False)
    except (ValueError, TypeError):
        return False
    return data.startswith(PNG_SIGNATURE) and len(data) > 64


def error_summary(output):
    """An error output in at most three lines, without colour codes: the message first (the kit's messages name the
    file and the problem), the exception's class after it in brackets, then where it was raised. The kernel's
    traceback starts with "<class>: <message>", which would put the Java class first."""
    lines = [ANSI_ESCAPE.sub("", line).strip() for line in output.get("traceback", [])]
    lines = [line for line in lines if line]
    message = (output.get("evalue") or "").strip()
    if lines and message:
        kind, separator, rest = lines[0].partition(": ")
        if separator and " " not in kind and rest.startswith(message.splitlines()[0]):
            lines[0] = f"{rest} [{kind}]"
    elif not lines:
        lines = [f"{message} [{output.get('ename', 'error')}]" if message else output.get("ename", "error")]
    return " | ".join(lines[:3])


def check_executed(nb, result):
    """Checks an executed notebook: error outputs, expected images, at least one image cell."""
    marker_cells = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        for output in outputs:
            if output.get("output_type") == "error":
                result.problems.append(f"{describe_cell(nb, index)} raised: {error_summary(output)}")
        pngs = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
        valid_pngs = [p for p in pngs if is_valid_png(p)]
        result.images += len(valid_pngs)
        if IMAGE_MARKER.search(cell.source):
            marker_cells += 1
            if len(valid_pngs) < len(pngs):
                result.problems.append(f"{describe_cell(nb, index)} has an image/png output that is not a PNG")
            elif not valid_pngs and cell.get("execution_count") is not None:
                result.problems.append(f"{describe_cell(nb, index)} is marked '// expect: image' "
                                       "but produced no image/png output")
            elif not valid_pngs:
                result.problems.append(f"{describe_cell(nb, index)} is marked '// expect: image' but never ran")
    if marker_cells == 0:
        result.problems.append("no cell is marked '// expect: image'; every notebook must show at least one "
                               "image (put the marker comment in the cell that displays it)")


def read_kernelspec_classpath():
    """Fails early, with the fix, when the kernelspec or a jar on its classpath is missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        sys.exit(f"execute-notebooks: kernel '{KERNEL_NAME}' is not installed; run environment/setup first")
    missing = [p for p in spec.env.get("RJK_CLASSPATH", "").split(";") if p and not Path(p).exists()]
    for flag, value in zip(spec.argv, spec.argv[1:]):
        if flag in ("-jar", "-cp", "-classpath"):
            missing += [p for p in value.split(os.pathsep) if p and not Path(p).exists()]
    if missing:
        sys.exit("execute-notebooks: the kernelspec in {} points at missing files (run environment/setup):\n  {}"
                 .format(spec.resource_dir, "\n  ".join(missing[:10])))
    return spec


def execute_notebook(source_path, output_path, log_path, cell_timeout, allow_errors=False, verbose=True, rerun=False,
                     echo=None):
    """Executes one notebook in its own folder, writes the executed copy (even a partial one) and checks it. With
    rerun, every code cell then runs once more on the same kernel; problems of that pass are added to the result.
    `echo` (e.g. a LiveEcho) receives each cell's stream text as it arrives; None echoes nothing."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_bytes(b"")
    started = time.monotonic()
    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        nb, result, start_failed = execute_once(source_path, log_path, cell_timeout, allow_errors, verbose, rerun,
                                                echo)
        if not start_failed or attempt == KERNEL_START_ATTEMPTS:
            break
        if verbose:
            print(f"    the kernel failed while starting; starting a fresh one "
                  f"(attempt {attempt + 1} of {KERNEL_START_ATTEMPTS})", flush=True)
    result.seconds = time.monotonic() - started
    result.output_path = output_path
    result.kernel_log = log_path
    output_path.parent.mkdir(parents=True, exist_ok=True)
    partial = output_path.with_name(output_path.name + ".partial")
    nbformat.write(nb, str(partial))
    os.replace(partial, output_path)
    check_executed(nb, result)
    return result


def execute_once(source_path, log_path, cell_timeout, allow_errors, verbose, rerun=False, echo=None):
    """One kernel, one pass over the notebook (and, with rerun, a second pass over copies of its code cells). Returns
    the notebook, the result, and whether the kernel failed before any cell ran, which is worth another try."""
    result = RunResult(source_path.name)
    nb = nbformat.read(str(source_path), as_version=4)
    result.cells = len(nb.cells)
    result.code_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
    declared = nb.metadata.get("kernelspec", {}).get("name")
    if declared and declared != KERNEL_NAME and verbose:
        print(f"    note: {source_path.name} declares kernel '{declared}'; running it on '{KERNEL_NAME}'")

    progress = {"index": None, "started": None}

    def on_cell_start(cell, cell_index):
        progress["index"] = cell_index
        progress["started"] = time.monotonic()
        if echo is not None:
            echo.begin(f"    {client.pass_label} {cell_index + 1:>3}/{len(nb.cells)}  output of "
                       f"{first_line(cell.source)}")

    def on_cell_executed(cell, cell_index, execute_reply):
        if echo is not None:
            echo.finish()
        if verbose:
            seconds = time.monotonic() - progress["started"]
            status = "  ERROR" if execute_reply.get("content", {}).get("status") == "error" else ""
            print(f"    cell {cell_index + 1:>3}/{len(nb.cells)}  {seconds:8.1f} s  {first_line(cell.source)}{status}",
                  flush=True)

    client = StreamingClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=cell_timeout if cell_timeout > 0 else None,
        startup_timeout=KERNEL_STARTUP_TIMEOUT,
        allow_errors=allow_errors,
        interrupt_on_timeout=False,
        record_timing=True,
        resources={"metadata": {"path": str(source_path.parent)}},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    client.echo = echo
    failure = None
    start_failed = False
    with open(log_path, "ab") as kernel_log:
        kernel_log.write(f"=== {source_path.name}: kernel start at {time.strftime('%H:%M:%S')}\n".encode())
        kernel_log.flush()
        try:
            # The kernel's own chatter (connection, classpath, JVM crashes) goes to the log, not the terminal.
            # The kernel stays up after the pass (cleanup_kc=False) for the optional second pass; the finally below
            # shuts it down either way.
            client.execute(cleanup_kc=False, stdout=kernel_log, stderr=kernel_log)
            if rerun:
                rerun_cells(client, nb, result, verbose, echo)
        except CellExecutionError:
            pass  # the error output is in the notebook; check_executed reports it with the cell
        except CellTimeoutError:
            failure = f"{describe_cell(nb, progress['index'])} ran longer than the {cell_timeout} s cell timeout"
        except DeadKernelError:
            where = describe_cell(nb, progress["index"]) if progress["index"] is not None else "start-up"
            failure = f"the kernel died during {where} (see {display_path(log_path)})"
            start_failed = progress["index"] is None
        except RuntimeError as error:  # the kernel died or did not answer before the first cell
            failure = f"the kernel did not start: {error} (see {display_path(log_path)})"
            start_failed = progress["index"] is None
        finally:
            if echo is not None:
                echo.finish()  # the last line of a cell that failed or timed out
            # nbclient leaves its exit hook registered when the start fails; make sure no JVM outlives us and the
            # hook does not fail noisily at exit.
            atexit.unregister(client._cleanup_kernel)
            if client.km is not None and client.km.has_kernel:
                client._cleanup_kernel()
    if failure:
        result.problems.append(failure)
    return nb, result, start_failed


def rerun_cells(client, nb, result, verbose, echo=None):
    """Runs every code cell once more, in order, on the kernel that just ran them all. Copies are executed, so the
    notebook keeps its first-pass outputs; an error or a missing expected image in the second pass is a problem."""
    if any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])):
        return  # the first pass already failed; its error is reported
    if verbose:
        print("    second pass: every code cell again, in order, on the same kernel", flush=True)
    client.on_cell_executed = None  # this pass prints its own lines
    client.pass_label = "again"
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        again = copy.deepcopy(cell)
        started = time.monotonic()
        try:
            client.execute_cell(again, index, execution_count=client.code_cells_executed + 1)
        except CellExecutionError:
            pass
        finally:
            if echo is not None:
                echo.finish()
        errors = [o for o in again.get("outputs", []) if o.get("output_type") == "error"]
        pngs = [o for o in again.get("outputs", []) if "image/png" in o.get("data", {})
                and is_valid_png(o["data"]["image/png"])]
        if verbose:
            print(f"    again {index + 1:>3}/{len(nb.cells)}  {time.monotonic() - started:8.1f} s  "
                  f"{first_line(cell.source)}{'  ERROR' if errors else ''}", flush=True)
        if errors:
            result.problems.append(f"second pass: {describe_cell(nb, index)} raised: {error_summary(errors[0])}")
            return
        if IMAGE_MARKER.search(cell.source) and not pngs:
            result.problems.append(f"second pass: {describe_cell(nb, index)} is marked '// expect: image' "
                                   "but produced no image/png output")


def display_path(path):
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def print_result(result):
    status = "ok  " if result.passed else "FAIL"
    print(f"{status} {result.name}: {result.cells} cells ({result.code_cells} code), {result.images} images, "
          f"{result.seconds:.1f} s -> {display_path(result.output_path)}", flush=True)
    for problem in result.problems:
        print(f"     {result.name}: {problem}", flush=True)


def default_output_dir(profile):
    # Smoke runs are checks, kept out of the work tree; cpu/paper runs are results, kept next to them.
    if profile == "smoke":
        return ROOT / "environment" / ".cache" / "executed" / "smoke"
    return ROOT / "results" / "executed" / profile


def run(args):
    os.environ["FA_PROFILE"] = args.profile
    os.environ.setdefault("FA_ROOT", str(ROOT))
    timeout = args.timeout if args.timeout is not None else DEFAULT_CELL_TIMEOUT[args.profile]
    output_dir = Path(args.output_dir).resolve() if args.output_dir else default_output_dir(args.profile)
    notebooks = [Path(n).resolve() for n in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        sys.exit(f"execute-notebooks: no notebooks given and none in {ROOT / 'notebooks'}")
    absent = [str(n) for n in notebooks if not n.is_file()]
    if absent:
        sys.exit("execute-notebooks: notebook not found: " + ", ".join(absent))
    read_kernelspec_classpath()

    print(f"==> Executing {len(notebooks)} notebook(s), FA_PROFILE={args.profile}, cell timeout "
          f"{timeout if timeout > 0 else 'none'}{' s' if timeout > 0 else ''}, output in {display_path(output_dir)}",
          flush=True)
    results = []
    for notebook in notebooks:
        print(f"--- {notebook.name}", flush=True)
        log = ROOT / "environment" / ".cache" / "logs" / args.profile / (notebook.stem + ".kernel.log")
        result = execute_notebook(notebook, output_dir / notebook.name, log, timeout, rerun=args.rerun,
                                  echo=LiveEcho())
        print_result(result)
        results.append(result)
    failed = [r for r in results if not r.passed]
    if failed:
        print("\nFailed notebooks:", flush=True)
        for result in failed:
            for problem in result.problems:
                print(f"  {result.name}: {problem}")
            print(f"  {result.name}: executed copy {display_path(result.output_path)}, "
                  f"kernel log {display_path(result.kernel_log)}")
    print(f"notebooks: {len(results) - len(failed)} passed, {len(failed)} failed", flush=True)
    return 1 if failed else 0


def check_only(paths):
    """Checks notebooks that were executed elsewhere (no kernel is started)."""
    failed = 0
    for path in paths:
        result = RunResult(Path(path).name)
        result.output_path = Path(path)
        nb = nbformat.read(str(path), as_version=4)
        result.cells = len(nb.cells)
        result.code_cells = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip())
        check_executed(nb, result)
        print_result(result)
        failed += not result.passed
    print(f"notebooks: {len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


def make_notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Java (feature alignment kit)",
                                 "language": "java"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


SMALL_IMAGE_CELL = ("// expect: image\n"
                    "var picture = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);\n"
                    "{ display(picture); }")


class EchoRecorder:
    """An echo for the self-test: records when each piece of streamed text and each cell end arrived."""

    def __init__(self):
        self.started = time.monotonic()
        self.events = []  # (seconds since start, stream name or "finish", text)

    def begin(self, header):
        pass

    def write(self, name, text):
        self.events.append((time.monotonic() - self.started, name, text))

    def finish(self):
        self.events.append((time.monotonic() - self.started, "finish", ""))

    def text(self, name):
        return "".join(t for _, n, t in self.events if n == name)

    def time_of(self, name, fragment):
        return next((s for s, n, t in self.events if n == name and fragment in t), None)

    def first_finish_after(self, seconds):
        if seconds is None:
            return None
        return next((s for s, n, _ in self.events if n == "finish" and s >= seconds), None)

    def summary(self):
        return [(round(s, 1), n, t) for s, n, t in self.events]


def self_test():
    """Proves the runner can fail: each case must end as stated, on the real kernel."""
    read_kernelspec_classpath()
    os.environ.setdefault("FA_PROFILE", "smoke")
    outcomes = []

    def expect(name, condition, detail):
        outcomes.append(condition)
        print(f"{'ok  ' if condition else 'FAIL'} self-test: {name}" + ("" if condition else f" -- {detail}"),
              flush=True)

    with tempfile.TemporaryDirectory(prefix="selftest-", dir=ROOT / "environment" / ".cache") as scratch:
        scratch = Path(scratch)

        def execute(name, nb, allow_errors=False, rerun=False, echo=None):
            source = scratch / f"{name}.ipynb"
            nbformat.write(nb, str(source))
            result = execute_notebook(source, scratch / "out" / source.name, scratch / f"{name}.log",
                                      cell_timeout=300, allow_errors=allow_errors, verbose=False, rerun=rerun,
                                      echo=echo)
            return result, nbformat.read(str(result.output_path), as_version=4)

        # 1. The kernel survives an exception: with errors allowed, the cell after the throwing one still runs,
        #    sees the state defined before the throw, and displays an image; the checker still flags the throw.
        result, executed = execute("survives-exception", make_notebook(
            'int before = 41;',
            'throw new IllegalStateException("deliberate failure for the self-test");',
            'System.out.println("alive " + (before + 1));',
            SMALL_IMAGE_CELL), allow_errors=True)
        stdout = "".join(o.get("text", "") for o in executed.cells[2].outputs if o.get("name") == "stdout")
        expect("kernel survives an exception in a cell", "alive 42" in stdout and result.images == 1,
               f"cell 3 printed {stdout!r}, images {result.images}, problems {result.problems}")
        expect("a throwing cell is reported with its number",
               any(p.startswith("cell 2 of 4") and "deliberate failure" in p for p in result.problems),
               f"problems: {result.problems}")

        # 2. Without allow-errors, execution stops at the first error; the later cells never run.
        result, executed = execute("stops-at-error", make_notebook(
            'Integer.parseInt("not a number");',
            SMALL_IMAGE_CELL))
        expect("execution stops at the first failing cell",
               not result.passed and executed.cells[1].get("execution_count") is None
               and any("NumberFormatException" in p for p in result.problems),
               f"problems: {result.problems}")

        # 3. A cell marked as showing an image that prints only text fails the check.
        result, _ = execute("missing-image", make_notebook(
            '// expect: image\nSystem.out.println("no picture here");'))
        expect("a marked cell without an image fails",
               any("produced no image/png output" in p for p in result.problems), f"problems: {result.problems}")

        # 4. A notebook without any marked cell fails (checked statically, no kernel needed).
        unmarked = RunResult("unmarked.ipynb")
        check_executed(make_notebook('System.out.println("text only");'), unmarked)
        expect("a notebook with no '// expect: image' cell fails",
               any("no cell is marked" in p for p in unmarked.problems), f"problems: {unmarked.problems}")

        # 5. --rerun: a cell that only works once (it creates a file that then exists) passes a single pass and
        #    fails the second; a re-runnable notebook passes both.
        marker = scratch / "created-once"
        result, _ = execute("only-once", make_notebook(
            f'var marker = java.nio.file.Path.of("{marker}");',
            'java.nio.file.Files.createFile(marker);',
            SMALL_IMAGE_CELL), rerun=True)
        expect("the second pass catches a cell that works only once",
               any(p.startswith("second pass: cell 2 of 3") and "FileAlreadyExists" in p for p in result.problems),
               f"problems: {result.problems}")
        result, _ = execute("re-runnable", make_notebook('int answer = 42;', SMALL_IMAGE_CELL), rerun=True)
        expect("a re-runnable notebook passes both passes", result.passed, f"problems: {result.problems}")

        # 6. Live output: a line a cell prints reaches the terminal echo while the cell still runs (here 4 s before
        #    it ends), from stdout and stderr alike. Fails if the runner only echoed at the end of a cell, or never.
        recorder = EchoRecorder()
        result, executed = execute("streams", make_notebook(
            'System.out.println("first line");\nSystem.err.println("on stderr");\nThread.sleep(4000);\n'
            'System.out.println("last line");',
            SMALL_IMAGE_CELL), echo=recorder)
        first = recorder.time_of("stdout", "first line")
        finished = recorder.first_finish_after(first)
        saved = "".join(o.get("text", "") for o in executed.cells[0].outputs if o.get("name") == "stdout")
        expect("a cell's printed lines are echoed as they arrive, before the cell ends",
               first is not None and finished is not None and finished - first >= 3.0
               and "last line" in recorder.text("stdout"),
               f"echo events (seconds, stream, text): {recorder.summary()}")
        expect("stderr is echoed too, and the executed notebook still holds the output",
               "on stderr" in recorder.text("stderr") and "first line" in saved and "last line" in saved
               and result.passed, f"echo {recorder.summary()}, saved stdout {saved!r}, problems {result.problems}")

    failed = outcomes.count(False)
    print(f"self-test: {len(outcomes) - failed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(prog="execute-notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=PROFILES, default="smoke",
                        help="size of the runs, passed to the notebooks as FA_PROFILE (default: smoke)")
    parser.add_argument("--timeout", type=int, help="seconds one cell may run, 0 for no limit (default: smoke "
                        f"{DEFAULT_CELL_TIMEOUT['smoke']}, cpu {DEFAULT_CELL_TIMEOUT['cpu']}, paper none)")
    parser.add_argument("--output-dir", help="where executed copies go (default: environment/.cache/executed/"
                        "smoke for smoke, results/executed/<profile> otherwise)")
    parser.add_argument("--rerun", action="store_true",
                        help="after the first pass, run every code cell once more in order on the same kernel and "
                             "fail on any error or missing image (cells must not depend on a single top-down run)")
    parser.add_argument("--check-only", action="store_true",
                        help="do not execute: check already executed notebooks")
    parser.add_argument("--self-test", action="store_true",
                        help="prove on the real kernel that failures are caught and the kernel survives errors")
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: notebooks/*.ipynb)")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if args.check_only:
        if not args.notebooks:
            parser.error("--check-only needs the executed notebooks to check")
        return check_only(args.notebooks)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
