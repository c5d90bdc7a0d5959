"""Runs a Pulumi Python program for the test-only language host (python.ts), with the
interpreter of the program's virtualenv:

  python -u python-runner.py --monitor ADDR --engine ADDR --project P --stack S
      [--organization O] [--root-directory DIR] [--parallel N] [--dry-run] PROGRAM [ARG...]

PROGRAM is the program's directory (its __main__.py runs) or a .py file. The `pulumi` package
reads the stack's config from PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS itself; everything
else it is told here, through pulumi.runtime's public settings hooks, before the program runs
inside the stack resource. Exit 0: done; 32: the program's error was logged through the
engine, which shows it; anything else: the runner could not report it (see stderr).
"""

import argparse
import asyncio
import os
import runpy
import sys
import traceback

BAIL = 32


def parse(argv):
    p = argparse.ArgumentParser(prog="python-runner.py")
    p.add_argument("--monitor", required=True)
    p.add_argument("--engine", required=True)
    p.add_argument("--project", required=True)
    p.add_argument("--stack", required=True)
    p.add_argument("--organization")
    p.add_argument("--root-directory")
    p.add_argument("--parallel", type=int)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("program")
    p.add_argument("args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def main(argv):
    opts = parse(argv)
    program = os.path.abspath(opts.program)
    program_dir = program if os.path.isdir(program) else os.path.dirname(program)
    # As `python PROGRAM ARG...` would: its directory first on sys.path, its own argv.
    sys.path.insert(0, program_dir)
    sys.argv = [program, *opts.args]
    os.chdir(program_dir)

    try:
        import pulumi
        from pulumi.runtime import settings, stack
    except ImportError as e:
        sys.stderr.write(
            f"The Pulumi SDK for Python is not installed for {sys.executable} ({e}): "
            "install the program's packages (pip install) into its virtualenv\n"
        )
        return 1

    settings.reset_options(
        project=opts.project,
        stack=opts.stack,
        root_directory=opts.root_directory,
        parallel=opts.parallel,
        engine_address=opts.engine,
        monitor_address=opts.monitor,
        preview=opts.dry_run,
        organization=opts.organization or "organization",
    )

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(
            stack.run_in_stack(lambda: runpy.run_path(program, run_name="__main__"))
        )
        return 0
    except pulumi.RunError as e:
        message = str(e)
    except Exception:  # noqa: BLE001 - the program's own error, reported to the engine
        message = f"Program failed with an unhandled exception:\n{traceback.format_exc()}"
    finally:
        for task in asyncio.all_tasks(loop):
            task.cancel()
        loop.close()
        sys.stdout.flush()
    try:
        pulumi.log.error(message)
        return BAIL
    except Exception:  # noqa: BLE001 - the engine is gone: say it here instead
        sys.stderr.write(message + "\n")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
