"""Nordlicht: a company aimed at the spend model's corners, with figures worked by hand.

Reporting currency EUR, period 2027-11..2028-03 (across a year end, through the leap
February of 2028). Seats are ORM rows (as a sync would leave them); contracts,
invoices, FX rates and budgets go in through the CLI.

* CRM-1 (Zeta, Zeta CRM): 300.00 EUR for 2027-11-15..2028-02-14, a term starting and
  ending mid-month: three monthly anniversaries (Nov 15, Dec 15, Jan 15) → 100.00 in
  Nov, Dec, Jan, nothing in Feb. 3 seats: ann (Sales, CC-S), ben (no department, no
  cost centre), one unassigned → Sales 1/3, Unallocated 2/3 (33.33 / 66.67).
* DOC-1 (Yotta, Yotta Docs): USD, own cost centre CC-X, invoiced only in some months
  (never amortised, its 999.00 total never counts): 77.00 on 2027-10-31 (before the
  period and the term), 120.00 on 2027-11-30 (month end), 120.00 on 2028-01-01 (year
  start), a credit note -30.00 on 2028-02-29 (leap day), 500.00 on 2028-04-01 (after
  the period and the term). Each converted by the USD→EUR rate on or before its
  invoice date: 0.90 (2027-11-01), 0.92 (2027-12-31), 0.95 (2028-02-28) → 108.00,
  110.40, -28.50. 2 seats: carl (Engineering, CC-E) all along, dana (Engineering, no
  cost centre) from 2028-01-10 → Nov half Engineering, half Unallocated.
* OPEN-1 (Zeta, Zeta Chat): no end, no renewal date, monthly, 2 x 10.50 EUR from
  2027-12-10 → 21.00 a month from December; no seat assigned → all Unallocated.
* LEAP-1 (Xeno, Xeno Design): 3600.01 GBP over 36 months, 2026-03-01..2029-02-28 →
  100.01 in its first month, 100.00 after; own department Design; 1 seat held by eve
  (Design, CC-D); converted at each month end's GBP→EUR rate: 1.15 (2027-11-30) for
  Nov and Dec, 1.20 (2028-01-31) after → 115, 115, 120, 120, 120.
* A Yotta invoice tied to no contract: 50.00 EUR on 2028-03-31 (application none).
* REN-1 (Xeno, Xeno Render): 1200.00 EUR for 2027-03-01..2028-02-29, auto-renewing on
  2028-03-01 → 100.00 a month; added for the forecast only (uplift 10 % → 110.00).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tests.spend.spend_rows import application, person, product, seat

CONTRACTS_CSV = """\
contract_number,vendor,application,product,start_date,end_date,renewal_date,auto_renew,\
notice_days,billing_cycle,seats,unit_price,total_cost,currency,owner_email,cost_centre,\
department,is_trial,notes
CRM-1,Zeta,Zeta CRM,zcrm,2027-11-15,2028-02-14,,no,,annual,3,,300.00,EUR,,,,no,
DOC-1,Yotta,Yotta Docs,ydocs,2027-11-01,2028-03-31,,no,,monthly,2,,999.00,USD,,CC-X,,no,
OPEN-1,Zeta,Zeta Chat,zchat,2027-12-10,,,no,,monthly,2,10.50,,EUR,,,,no,
LEAP-1,Xeno,Xeno Design,xdesign,2026-03-01,2029-02-28,,no,,annual,1,,3600.01,GBP,,,Design,no,
"""

#: (invoice_number, vendor, application, contract_number, invoice_date, amount, currency)
INVOICES = [
    ("Y-0", "Yotta", "Yotta Docs", "DOC-1", date(2027, 10, 31), 77.00, "USD"),
    ("Y-1", "Yotta", "Yotta Docs", "DOC-1", date(2027, 11, 30), 120.00, "USD"),
    ("Y-2", "Yotta", "Yotta Docs", "DOC-1", date(2028, 1, 1), 120.00, "USD"),
    ("Y-3", "Yotta", "Yotta Docs", "DOC-1", date(2028, 2, 29), -30.00, "USD"),
    ("Y-4", "Yotta", "Yotta Docs", "DOC-1", date(2028, 4, 1), 500.00, "USD"),
    ("Y-5", "Yotta", None, None, date(2028, 3, 31), 50.00, "EUR"),
]

RENEWING_CSV = """\
contract_number,vendor,application,product,start_date,end_date,renewal_date,auto_renew,\
notice_days,billing_cycle,seats,unit_price,total_cost,currency,owner_email,cost_centre,\
department,is_trial,notes
REN-1,Xeno,Xeno Render,,2027-03-01,2028-02-29,2028-03-01,yes,30,annual,,,1200.00,EUR,,,,no,
"""

FX_RATES = [
    ("USD", "EUR", "0.90", "2027-11-01"),
    ("USD", "EUR", "0.92", "2027-12-31"),
    ("USD", "EUR", "0.95", "2028-02-28"),
    ("USD", "EUR", "0.97", "2028-03-01"),
    ("GBP", "EUR", "1.15", "2027-11-30"),
    ("GBP", "EUR", "1.20", "2028-01-31"),
]

MONTHS = ["2027-11", "2027-12", "2028-01", "2028-02", "2028-03"]

#: by → key → [Nov, Dec, Jan, Feb, Mar, total]; "Total" is the totals row.
EXPECTED: dict[str, dict[str, list[str]]] = {
    "vendor": {
        "Xeno": ["115.00", "115.00", "120.00", "120.00", "120.00", "590.00"],
        "Yotta": ["108.00", "0.00", "110.40", "-28.50", "50.00", "239.90"],
        "Zeta": ["100.00", "121.00", "121.00", "21.00", "21.00", "384.00"],
        "Total": ["323.00", "236.00", "351.40", "112.50", "191.00", "1213.90"],
    },
    "department": {
        "Design": ["115.00", "115.00", "120.00", "120.00", "120.00", "590.00"],
        "Engineering": ["54.00", "0.00", "110.40", "-28.50", "0.00", "135.90"],
        "Sales": ["33.33", "33.33", "33.33", "0.00", "0.00", "99.99"],
        # CRM 66.67 (ben + the spare seat) + DOC's spare seat in Nov 54.00; OPEN-1 21.00
        # from Dec; the contract-less invoice 50.00 in Mar.
        "Unallocated": ["120.67", "87.67", "87.67", "21.00", "71.00", "388.01"],
        "Total": ["323.00", "236.00", "351.40", "112.50", "191.00", "1213.90"],
    },
    "cost_centre": {
        "CC-D": ["115.00", "115.00", "120.00", "120.00", "120.00", "590.00"],
        "CC-S": ["33.33", "33.33", "33.33", "0.00", "0.00", "99.99"],
        "CC-X": ["108.00", "0.00", "110.40", "-28.50", "0.00", "189.90"],
        "Unallocated": ["66.67", "87.67", "87.67", "21.00", "71.00", "334.01"],
        "Total": ["323.00", "236.00", "351.40", "112.50", "191.00", "1213.90"],
    },
    "category": {
        "CRM": ["100.00", "100.00", "100.00", "0.00", "0.00", "300.00"],
        "Communication": ["0.00", "21.00", "21.00", "21.00", "21.00", "84.00"],
        "Design": ["115.00", "115.00", "120.00", "120.00", "120.00", "590.00"],
        "Productivity": ["108.00", "0.00", "110.40", "-28.50", "0.00", "189.90"],
        "Uncategorised": ["0.00", "0.00", "0.00", "0.00", "50.00", "50.00"],
        "Total": ["323.00", "236.00", "351.40", "112.50", "191.00", "1213.90"],
    },
}


def seed_people_and_seats(s: Session) -> None:
    """Products, people and seats (what a sync would have stored)."""
    crm = product(s, application(s, "Zeta CRM", "Zeta", "CRM"), "zcrm")
    docs = product(s, application(s, "Yotta Docs", "Yotta", "Productivity"), "ydocs")
    chat_app = application(s, "Zeta Chat", "Zeta", "Communication")
    product(s, chat_app, "zchat")
    free = product(s, chat_app, "zchat-free")  # a free SKU: its seats share no cost
    design = product(s, application(s, "Xeno Design", "Xeno", "Design"), "xdesign")
    ann = person(s, "ann@nordlicht.example", "Sales", "CC-S")
    ben = person(s, "ben@nordlicht.example", None, None)
    carl = person(s, "carl@nordlicht.example", "Engineering", "CC-E")
    dana = person(s, "dana@nordlicht.example", "Engineering", None)
    eve = person(s, "eve@nordlicht.example", "Design", "CC-D")
    seat(s, ann, crm)
    seat(s, ben, crm)
    seat(s, carl, docs)
    seat(s, dana, docs, assigned=date(2028, 1, 10))
    seat(s, eve, design)
    seat(s, ann, free)
    seat(s, carl, free)
