"""Following an event up: the account's read side (account info, contacts, activity, messages, workflows)
and the two writes a test needs (a test contact, an order), through the same environments, secrets,
masking and history as sends (`client`); what those endpoints answer, read defensively (`answers`); and
the verification of one sent event: the contact it resolves to, then the activity and messages linked to
it, polled politely (`verify`). Above `core.http`, independent of history, scenarios and profiles: the
command line and the window join a verification to its history row.
"""
