"""Publishing: one build to every mirror at once, behind one manifest (SPEC §7, §8).

    run.py        publish(): lock, prepare, build, plan, push every mirror, record
    barrier.py    the one final manifest every object store waits for
    copyfiles.py  what each copy says of the others (page links, manifest files)
    kept.py       the last publish's manifest files, reused when nothing changed
    local.py      `mirrorpub build`: public/ as a complete copy
    opened.py     mirrors kept open across publishes (watch)
    report.py     what a publish reports
    state.py      .mirrorpub/state.json
    lock.py       one publish at a time
"""
