"""Words a draft mapping recognises in variable names, variable labels and value labels.

Spanish and English, lower case without accents; names and labels are compared after
the same normalisation (:func:`words`). Extend the lists when a data holder's files use
other words: a draft only proposes, the data holder checks.
"""

from __future__ import annotations

import re
import unicodedata

WAVES: dict[str, tuple[str, ...]] = {
    "pre": ("pre", "pretest", "t1", "t0", "base", "basal", "baseline", "inicio"),
    "post": ("post", "postest", "posttest", "pos", "t2", "final"),
    "followup": ("seg", "fu", "followup", "follow", "seguimiento", "t3", "fup"),
}
"""Column-name suffixes (wide files) and values (long files) of each wave."""

WAVE_COLUMN = ("momento", "wave", "tiempo", "time", "ola", "fase", "evaluacion", "medida",
               "occasion")

IDS: dict[str, tuple[str, ...]] = {
    "therapist_id": ("terapeuta", "therapist", "id_terapeuta", "therapist_id", "ter",
                     "cod_terapeuta", "codigo_terapeuta", "id_ter", "psicoterapeuta",
                     "id_therapist"),
    "patient_id": ("paciente", "patient", "id_paciente", "patient_id", "pac",
                   "cod_paciente", "codigo_paciente", "id_pac", "cliente", "client",
                   "id_patient"),
}

FIELDS: dict[str, tuple[str, ...]] = {
    "arm": ("grupo", "group", "arm", "condicion", "condition", "brazo", "tratamiento",
            "treatment", "tx", "rama"),
    "age": ("edad", "age", "edad_anos", "age_years"),
    "gender": ("sexo", "genero", "gender", "sex"),
    "experience_years": ("experiencia", "anos_experiencia", "experience",
                         "experience_years", "anos_de_experiencia", "exp_anos"),
    "orientation": ("orientacion", "orientation", "enfoque", "orientacion_teorica",
                    "theoretical_orientation"),
    "problem": ("problema", "problem", "motivo", "motivo_consulta", "diagnostico",
                "problema_principal", "main_problem"),
}
"""Names (or label words) of the person-level fields."""

VALUES: dict[str, dict[str, tuple[str, ...]]] = {
    "arm": {"MCBI": ("mcbi", "mbci", "mindfulness", "compasion", "intervencion",
                     "experimental", "intervention", "treatment", "tratamiento"),
            "control": ("control", "diario", "empatia", "espera", "waitlist",
                        "comparison", "comparacion")},
    "gender": {"female": ("mujer", "female", "femenino", "f", "woman", "fem", "femenina"),
               "male": ("hombre", "male", "masculino", "m", "man", "varon", "masc"),
               "other": ("otro", "other", "binario", "nonbinary", "otra")},
    "orientation": {
        "cognitive-behavioural": ("cognitivo", "conductual", "cognitive", "behavioural",
                                  "behavioral", "tcc", "cbt", "cognitiva"),
        "integrative": ("integrador", "integradora", "integrative", "integrativo",
                        "eclectico", "eclectic"),
        "humanistic": ("humanista", "humanistic", "gestalt", "humanistica"),
        "psychodynamic": ("psicodinamico", "psicodinamica", "psychodynamic",
                          "psicoanalitico", "psicoanalisis", "dinamico"),
        "systemic": ("sistemico", "sistemica", "systemic", "familiar")},
    "problem": {"anxiety": ("ansiedad", "anxiety", "ansioso"),
                "depression": ("depresion", "depression", "depresivo", "animo"),
                "relational": ("relacional", "relational", "pareja", "relaciones"),
                "adjustment": ("adaptativo", "adaptacion", "adjustment", "ajuste"),
                "other": ("otro", "other", "otros", "otra")},
    "wave": {w: s for w, s in WAVES.items()},
}
"""Words of the value labels of each categorical field, by package value."""

INSTRUMENTS: dict[str, tuple[str, ...]] = {
    "pms": ("pms", "hmp", "hmt"),
    "eust": ("eust", "eus_t", "eut", "bli_t", "blt", "blri_t", "eus"),
    "eusp": ("eusp", "eus_p", "eup", "bli_p", "blp", "blri_p", "eus"),
    "teca": ("teca",),
    "ffmq": ("ffmq", "ffmq39"),
    "scs": ("scs", "scs_sf", "scssf", "sccs"),
    "dass": ("dass", "dass21", "dass_21"),
    "watoci": ("watoci", "wai", "alianza"),
    "bsi": ("bsi", "bsi18", "bsi_18"),
    "phi": ("phi", "pemberton"),
}
"""Item-column stems of each instrument (the part before the item number)."""

MISSING_CODES = (-9, -99, -999, -8, -7, -1, 9, 99, 999, 9999, 88, 888, 77, 777)
"""Values a draft proposes as missing codes when they lie outside an item's range."""


def normal(text: object) -> str:
    """Lower case, no accents, runs of other characters as one ``_``."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def words(text: object) -> set[str]:
    """The normalised words of a label."""
    return {w for w in normal(text).split("_") if w}
