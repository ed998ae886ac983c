"""As a shell sees it: ``losskit list | head -1`` ends quietly (no traceback) when the reader goes away, and piped
output is plain text."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOSSKIT = [sys.executable, "-m", "losskit.cli"]


@pytest.mark.parametrize("args", [["list"], ["schema"]])
def test_a_closed_pipe_ends_the_command_quietly(args):
    process = subprocess.Popen([*LOSSKIT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line is written
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141 and "Traceback" not in err and "Error" not in err, err


def test_piped_list_is_plain_text_one_loss_a_line_and_no_warning():
    done = subprocess.run([*LOSSKIT, "list"], capture_output=True, text=True, check=True)
    out = done.stdout
    assert done.stderr == ""  # no "Failed to initialize NumPy", no plugin warning
    assert "\x1b[" not in out and "l2_penalty" in out
    assert all(len(line.split()) >= 3 for line in out.splitlines())
