"""English pages keep the registry's ISO dates (2024-01-15: no day/month ambiguity for
readers of any country); French pages take Django's French formats (15/01/2024, 2,5)."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
