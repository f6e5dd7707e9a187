"""mcbi: reproducible companion to the MCBI trial for psychotherapists.

Garrote-Caparrós, E., Lecuona, Ó., Bellosta-Batalla, M., Moya-Albiol, L., & Cebolla, A.
(2023). *Psychotherapy, 60*(2), 182-193. https://doi.org/10.1037/pst0000467
"""

__version__ = "0.1.0"
