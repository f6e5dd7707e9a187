"""Chapter 1, the sample: participant flow (CONSORT), baseline tables, reliability."""
