-- 学前教育三年毛入园率 (gross enrolment ratio, pre-primary) for every county and city and year, from
-- the canonical tables a run publishes (staging/*.parquet) and its division table
-- (divisions.parquet): an indicator family in the form a distributed engine takes it over
-- (docs/scale-out.md). polars SQL (`edustat query`) and Spark SQL both run it as written:
-- `staging.enrolment` is a dotted name to one and a database table to the other.
--
-- Pupils of any age in kindergartens, counted in the county where the school stands, over the
-- population aged 3-5 (completed years), times 100; a city sums its counties' parts, then divides.
WITH pupils AS (
  SELECT e.year, s.region_code, SUM(e.enrolled) AS pupils
  FROM staging.enrolment e
  JOIN staging.schools s ON e.year = s.year AND e.school_id = s.school_id
  WHERE e.stage = 'preschool'
  GROUP BY e.year, s.region_code
),
people AS (
  SELECT year, region_code, SUM(population) AS people
  FROM staging.population
  WHERE age BETWEEN 3 AND 5
  GROUP BY year, region_code
),
county AS (
  SELECT p.year, p.region_code, p.pupils, q.people
  FROM pupils p
  JOIN people q ON p.year = q.year AND p.region_code = q.region_code
),
city AS (
  SELECT c.year, d.parent_code AS region_code, SUM(c.pupils) AS pupils, SUM(c.people) AS people
  FROM county c
  JOIN divisions d ON d.code = c.region_code
  GROUP BY c.year, d.parent_code
)
SELECT year, region_code, 100.0 * pupils / people AS value, pupils AS numerator, people AS denominator
FROM county
UNION ALL
SELECT year, region_code, 100.0 * pupils / people AS value, pupils AS numerator, people AS denominator
FROM city
