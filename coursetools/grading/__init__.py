"""Grading: a class's submitted notebooks in; a gradebook, feedback and a class report out.

``coursetools grade`` (``cli``) runs ``pipeline.grade``: a list of steps over one state (collect
-> prepare -> build -> execute -> score -> second round -> fair costs -> write), each asking the
subpackage of its role, typed records (``records``) between them.
Every student's code runs in a sandboxed kernel (``sandbox``, ``provisioner``) executed by
nbval, kept within budgets by ``nbval_plugin``; the comparison with the instructor's reference
run happens in the grader's process (``score``). ``coursetools/README.md`` has the whole map.
"""
