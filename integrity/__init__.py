"""The integrity checks run against the sandbox: `conservation.conservation_report(start=, end=)`.

Command line (any database the settings point at): `python -m integrity --start ISO --end ISO`.
"""
