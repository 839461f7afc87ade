//! What one synthetic provincial delivery imitates: the province's divisions (cities, counties,
//! codes retired in the years covered), its school years and the magnitudes it is calibrated
//! to. Guangxi's are real (`guangxi.rs`); the national preset builds one per province
//! (`national.rs`).

use super::guangxi;

/// A retired county code: (old code, old name, last school year it was used, successor).
pub type Retired = (String, String, i32, String);

/// A prefecture-level city: (code, Chinese name, English name, its counties as (code, name)).
pub type City = (String, String, String, Vec<(String, String)>);

/// One province's delivery: where, when and how much.
#[derive(Debug, Clone)]
pub struct Preset {
    /// (code, Chinese name, English name).
    pub province: (String, String, String),
    /// The province as titles name it (广西).
    pub short: String,
    pub cities: Vec<City>,
    pub retired: Vec<Retired>,
    /// The school years delivered school by school, oldest first.
    pub years: Vec<i32>,
    /// The years of the yearbook extract (regional entrants before the school-level years).
    pub history: (i32, i32),
    /// Primary intake over the age-6 cohort, by the year its cohort reaches the final junior
    /// grade (t + 8), where the province's 巩固率 is calibrated; 1.02 elsewhere.
    pub intake: Vec<(i32, f64)>,
    /// Province-level rates the delivery is calibrated to, one per year of `years` (percent).
    pub preschool: Vec<f64>,
    pub senior: Vec<f64>,
    pub higher: Vec<f64>,
    /// Counts at scale 1 (2020): kindergartens, children in them, schools of each kind.
    pub kindergartens: f64,
    pub children: f64,
    pub primary: f64,
    pub teaching_points: f64,
    pub junior: f64,
    pub senior_schools: f64,
    pub vocational: f64,
    /// Births per year as a multiple of Guangxi's cohort curve ([`guangxi::cohort`]).
    pub cohort_scale: f64,
    /// Guangxi's own extras: the planted bad rows, the plan's project register, international
    /// exchange, and a division table and README beside the files.
    pub guangxi_extras: bool,
}

impl Preset {
    /// The bundled Guangxi sample: real codes and published magnitudes, 2017–2020.
    pub fn guangxi() -> Preset {
        let (code, zh, en) = guangxi::PROVINCE;
        Preset {
            province: (code.into(), zh.into(), en.into()),
            short: "广西".into(),
            cities: guangxi::CITIES
                .iter()
                .map(|(code, zh, en, list)| {
                    let counties = list
                        .split(", ")
                        .map(|item| {
                            let (c, n) = item.split_once(' ').unwrap_or((item, item));
                            (c.to_string(), n.to_string())
                        })
                        .collect();
                    (code.to_string(), zh.to_string(), en.to_string(), counties)
                })
                .collect(),
            retired: guangxi::RETIRED
                .iter()
                .map(|(old, name, last, successor)| {
                    (old.to_string(), name.to_string(), *last, successor.to_string())
                })
                .collect(),
            years: vec![2017, 2018, 2019, 2020],
            history: (2009, 2016),
            intake: vec![(2017, 1.036), (2018, 1.029), (2019, 1.025), (2020, 1.0196)],
            preschool: guangxi::PRESCHOOL.to_vec(),
            senior: guangxi::SENIOR_SECONDARY.to_vec(),
            higher: guangxi::HIGHER.to_vec(),
            kindergartens: guangxi::KINDERGARTENS_2020,
            children: guangxi::CHILDREN_2020,
            primary: guangxi::PRIMARY_SCHOOLS,
            teaching_points: 0.0,
            junior: guangxi::JUNIOR_SCHOOLS,
            senior_schools: guangxi::SENIOR_SCHOOLS,
            vocational: guangxi::VOCATIONAL_SCHOOLS,
            cohort_scale: 1.0,
            guangxi_extras: true,
        }
    }

    /// The first school year delivered.
    pub fn first_year(&self) -> i32 {
        self.years.first().copied().unwrap_or(2017)
    }

    /// Births in `year` (before mortality), on Guangxi's curve scaled to the province.
    pub fn cohort(&self, year: i32) -> f64 {
        guangxi::cohort(year) * self.cohort_scale
    }

    /// A school's 10-digit id: Guangxi's sample keeps its ids (3 + the county code's last five
    /// digits + a serial); elsewhere the county code + a four-digit serial, unique nationwide.
    pub fn school_id(&self, county: &str, serial: usize) -> String {
        if self.guangxi_extras {
            format!("3{}{serial:04}", &county[1..])
        } else {
            format!("{county}{serial:04}")
        }
    }

    /// The city a county belongs to, by index into `cities`.
    pub fn city_code(&self, city: usize) -> &str {
        &self.cities[city].0
    }
}

/// A value of the plan's four years (2017–2020) for `year`: the first before them, the last
/// after them (improvements that run over the plan's years: facilities, class sizes).
pub fn over_plan(values: [f64; 4], year: i32) -> f64 {
    values[(year - 2017).clamp(0, 3) as usize]
}
