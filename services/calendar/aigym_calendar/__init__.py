"""Calendar service: events, RFC 5545 recurrence, agendas, iCalendar feeds and reminders."""
