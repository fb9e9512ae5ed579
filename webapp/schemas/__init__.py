"""marshmallow schemas: every form and API payload is validated here, once.

Messages are written for the person reading them next to the field. One module per area;
each builds on base, and sync gathers the entry schemas of the others:

- base: FormSchema, EntrySchema, WholeNumber, validating_for, practice_key, CLOCK_SKEW
- checkins: a check-in and a practice done (and their sync entries)
- practices: a practice as the person names it
- account: sign-in, registration, profile (TIMEZONES), passwords, deleting, passkeys
- reflect: "Stuck with a case?", reframe marks, the weekly pulse (and their sync entries)
- care: supervision notes, breaks (and their sync entries), the supervision date
- sync: the sync API's request, results, session and errors (CREATED ... REJECTED)
- push: a browser's push subscription and keys, a device as listed
- reminders: the reminder plan (WEEKDAYS, REMINDER_MODES)
- support: the support page's own lines and region
- circles: the peer circle's forms, and the nudges and answers its outbox sends
"""
