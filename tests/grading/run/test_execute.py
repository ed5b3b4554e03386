"""coursetools.grading.run.execute and nbval_plugin: budgets enforced from outside, restarts, results.

Small hand-made grading notebooks (roles in their metadata, as ``build`` writes them) run in
sandboxed kernels; each cell's ``CellResult`` says how it ended.
"""
import nbformat
import pytest
from nbformat import v4

from coursetools.grading.run import execute
from coursetools.grading.records import Failure, Role

pytestmark = pytest.mark.kernel
BUDGETS = execute.Budgets(cell_seconds=3, notebook_seconds=60, output_bytes=200_000)


def notebook(*cells):
    nb = v4.new_notebook()
    for role, source in cells:
        cell = v4.new_code_cell(source)
        cell.metadata["coursetools"] = {"role": role.value, "tests": ["t"] if role is Role.TEST else []}
        nb.cells.append(cell)
    return nb


def run(tmp_path, nbs, budgets=BUDGETS, jobs=1):
    paths = {}
    for name, nb in nbs.items():
        paths[name] = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    return execute.run(tmp_path, paths, {n: len(nb.cells) for n, nb in nbs.items()}, jobs=jobs,
                       budgets=budgets, progress=False)


def failures(results):
    return [c.failure for c in sorted(results, key=lambda c: c.index)]


def test_a_cell_that_ignores_signals_is_killed_at_its_deadline_and_the_next_cell_runs(tmp_path):
    nb = notebook((Role.DEFINITIONS, "x = 1"),
                  (Role.TEST, "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                              "while True:\n    print('busy', flush=True); time.sleep(0.5)"),
                  (Role.TEST, "print(x)"))
    results = run(tmp_path, {"a": nb})["a"]
    assert failures(results) == [Failure.NONE, Failure.TIMEOUT, Failure.NONE]
    assert results[2].errors == [], "the restarted kernel replayed the definitions"


def test_a_flood_of_output_is_stopped_by_the_output_budget(tmp_path):
    nb = notebook((Role.TEST, "while True:\n    print('x' * 10_000)"), (Role.TEST, "1 + 1"))
    assert failures(run(tmp_path, {"a": nb})["a"]) == [Failure.OUTPUT, Failure.NONE]


def test_a_dead_kernel_costs_only_its_cell(tmp_path):
    nb = notebook((Role.DEFINITIONS, "y = 2"), (Role.TEST, "import os\nos._exit(1)"),
                  (Role.TEST, "assert y == 2"))
    results = run(tmp_path, {"a": nb})["a"]
    assert failures(results) == [Failure.NONE, Failure.KERNEL_DIED, Failure.NONE]
    assert results[2].errors == []


def test_the_notebook_budget_ends_the_notebook(tmp_path):
    budgets = execute.Budgets(cell_seconds=3, notebook_seconds=4, output_bytes=200_000)
    nb = notebook(*[(Role.TEST, "import time\ntime.sleep(2.5)")] * 4)
    found = failures(run(tmp_path, {"a": nb}, budgets)["a"])
    assert found[0] is Failure.NONE and Failure.NOTEBOOK_TIME in found


def test_errors_are_recorded_by_name_and_payloads_collected(tmp_path):
    nb = notebook((Role.TEST, "from IPython.display import display\n"
                              "display({'application/vnd.coursetools.result+json': {'test': 't'}},"
                              " raw=True)\nraise ValueError('no')"))
    (cell,) = run(tmp_path, {"a": nb})["a"]
    assert cell.payloads == [{"test": "t"}] and cell.errors == [("ValueError", "no")]
    assert cell.failure is Failure.NONE


def test_two_jobs_give_the_results_of_one(tmp_path):
    nbs = {f"n{i}": notebook((Role.TEST, f"print({i})")) for i in range(4)}
    assert set(run(tmp_path, nbs, jobs=2)) == set(nbs)


# ------------------------------------------------------------------ budgets that count everything
FORGED_PARENT = """
ip = get_ipython()
for i in range(200):   # 200 messages of 100 kB, each claiming to answer another cell
    ip.kernel.session.send(ip.kernel.iopub_socket, 'stream',
                           {'name': 'stdout', 'text': 'x' * 100_000},
                           parent={'header': {'msg_id': 'another-cell', 'msg_type': 'execute_request'}})
import time
time.sleep(2)
"""


def test_messages_claiming_another_cells_parent_count_against_the_running_cell(tmp_path):
    nb = notebook((Role.TEST, FORGED_PARENT), (Role.TEST, "1 + 1"))
    assert failures(run(tmp_path, {"a": nb})["a"]) == [Failure.OUTPUT, Failure.NONE]


def test_display_metadata_counts_against_the_output_budget(tmp_path):
    # Outputs whose data is tiny and whose metadata is 1 MB each: every byte counts.
    nb = notebook((Role.TEST, "from IPython.display import display\nfor i in range(50):\n"
                              "    display({'text/plain': 'ok'}, raw=True, "
                              "metadata={'text/plain': {'pad': 'm' * 2**20}})"),
                  (Role.TEST, "1 + 1"))
    assert failures(run(tmp_path, {"a": nb})["a"]) == [Failure.OUTPUT, Failure.NONE]


def test_a_message_over_the_size_limit_is_refused_and_costs_the_cell(tmp_path):
    nb = notebook((Role.TEST, "from IPython.display import display\n"
                              "display({'text/plain': 'ok'}, raw=True, "
                              "metadata={'text/plain': {'pad': 'm' * 7 * 2**20}})\n"
                              "import time\ntime.sleep(3)"),
                  (Role.TEST, "1 + 1"))
    assert failures(run(tmp_path, {"a": nb})["a"]) == [Failure.OUTPUT, Failure.NONE]


def test_files_written_around_the_tmpfs_into_the_kernels_folder_stop_the_kernel(tmp_path):
    # The working folder is a size-limited tmpfs; its parent (the sockets' folder) is on the
    # grader's disk: writing there is watched from outside.
    nb = notebook((Role.TEST, "import time\nfor i in range(40):\n"
                              "    open(f'../junk{i}', 'wb').write(b'x' * 2**20)\ntime.sleep(5)"),
                  (Role.TEST, "1 + 1"))
    assert failures(run(tmp_path, {"a": nb})["a"]) == [Failure.DISK, Failure.NONE]


def test_writing_in_the_working_folder_stops_at_the_disk_budget(tmp_path):
    nb = notebook((Role.TEST, "n = 0\ntry:\n    for i in range(200):\n"
                              "        open(f'f{i}', 'wb').write(b'x' * 2**20); n += 1\n"
                              "except OSError as error:\n    assert error.errno == 28, error\n"
                              "assert n <= 64, n\nimport os\nassert os.getcwd().endswith('/work')"))
    (cell,) = run(tmp_path, {"a": nb})["a"]
    assert cell.failure is Failure.NONE and cell.errors == []


def test_one_job_still_runs_every_notebook_outside_the_graders_process(tmp_path, monkeypatch):
    import os
    seen = []
    monkeypatch.setattr(execute.pytest, "main", lambda *a, **k: seen.append(os.getpid()))
    run(tmp_path, {"a": notebook((Role.TEST, "1"))}, jobs=1)
    assert seen == [], "pytest.main ran in the grader's own process"


def test_a_session_budget_bounds_the_notebooks_of_one_submission_together(tmp_path):
    budgets = execute.Budgets(cell_seconds=3, notebook_seconds=60, output_bytes=200_000)
    nbs = {f"v{i}": notebook((Role.TEST, "import time\ntime.sleep(2)")) for i in range(6)}
    paths = {}
    for name, nb in nbs.items():
        paths[name] = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    sessions = {"student": execute.Session(paths, {n: 1 for n in nbs}, seconds=8)}
    (done,) = execute.run_sessions(tmp_path, sessions, jobs=1, budgets=budgets,
                                   progress=False).values()
    found = [c.failure for name in sorted(done.results) for c in done.results[name]]
    assert Failure.NOTEBOOK_TIME in found and found.count(Failure.NONE) < 6
