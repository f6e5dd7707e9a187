"""Rendering shared by every chapter: APA numbers, phrases, tables, figures, glue records."""
