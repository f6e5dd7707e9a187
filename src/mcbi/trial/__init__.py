"""The trial: design constants, instruments and scoring, schema, validation, loading,
codebook."""
