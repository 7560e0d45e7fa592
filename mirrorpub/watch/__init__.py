"""`mirrorpub watch`: publish, then republish whenever content, templates or config change.

    loop.py       watch(): the main loop and its signals
    debounce.py   bursts of changes -> one wake-up
    events.py     which file events count, and the watchdog observer
    session.py    one publish attempt, and what is remembered between them
    retries.py    when a failed mirror is tried again
"""
