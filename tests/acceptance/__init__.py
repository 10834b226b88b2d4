"""Acceptance tests run the way an outside checker runs Seatwise.

Hand-written vendor servers (HTTPS, a private CA passed as ``ca_bundle``), small
hand-written datasets, the real ``seatwise`` CLI, and expected figures written out by
hand from the documented rules, independent of ``connectors/sandbox``.
"""
