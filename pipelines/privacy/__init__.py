"""Statistical disclosure control of a release (DESIGN.md §4 rules 5, 6 and 7), as plain logic.

- `catalog`: what is published (grain, population, counts, rates) and the linear relations
  between published counts, read from models/marts/_privacy.yml;
- `bands`: rates of small groups published as bands ("≥ 95 %") instead of an exact 0 % or 100 %;
- `suppression`: primary suppression below k, suppression between releases, bands, then
  complementary suppression until the audit passes;
- `audit`: the attacker's problem, solved with linear programming for every protected value.

No Dagster here: the assets in pipelines/defs/publication call these functions.
"""
