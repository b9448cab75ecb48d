"""Malfunctions (story 21): the malfunction detector's rules, pure, and its service.

A house raises an alert when it falls silent (no reading for N ticks, `silence`) or sends
what cannot be true (`checks`: a negative energy or a battery state that breaks physics,
both refused at the door and reported on `reading.refused`; a consumption beyond what a
house connection can draw; panels producing at night). A community raises one when most of
its houses fall silent (`silence`), or when its readings stop adding up: the grid's two
tallies of its tick, electricity-frame's frame and real-energy-output's houses, differ
(`tallies`). Each alert lasts from its first faulty observation to the first normal one
after its last faulty one (`episodes`), and is published on `alert` (attribute `alertType`)
when it opens, now and then while it lasts, and when it closes.
"""
