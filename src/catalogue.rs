//! The indicator catalogue: one entry per indicator id with its Chinese and English names,
//! unit, formula in words and where its method and target come from. `edustat explain` prints
//! it; reports and queries join to it.

/// One catalogue entry.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub id: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub unit: &'static str,
    pub definition: &'static str,
    pub methodology: &'static str,
    pub plan: &'static str,
}

pub static CATALOGUE: &[Entry] = &[
    Entry {
        id: "ger_preschool",
        name_zh: "学前教育三年毛入园率",
        name_en: "Gross enrolment ratio, pre-primary (three years)",
        unit: "percent",
        definition: "Children enrolled in kindergartens and attached pre-school classes, of any age, over the population aged 3-5 (completed years), x 100. Ages and stages come from the pipeline file.",
        methodology: "METHODOLOGY §3.1; UIS GER pre-primary (ISCED 02)",
        plan: "一（三）總體目標: 學前教育三年毛入園率達90%",
    },
    Entry {
        id: "retention_compulsory",
        name_zh: "九年义务教育巩固率",
        name_en: "Nine-year compulsory education retention rate",
        unit: "percent",
        definition: "Junior-secondary final-grade students (毕业班学生数) in year t over primary grade-1 entrants of the same cohort in year t-8, x 100. Not yet computed: needs entrants from eight years before the first pipeline year.",
        methodology: "METHODOLOGY §3.2; UIS survival rate to the last grade (companion)",
        plan: "一（三）總體目標: 義務教育鞏固率達95%",
    },
    Entry {
        id: "ger_senior_secondary",
        name_zh: "高中阶段教育毛入学率",
        name_en: "Gross enrolment ratio, upper secondary",
        unit: "percent",
        definition: "Students in general senior high schools, adult senior high schools and secondary vocational education including technical schools (技工学校), of any age, over the population aged 15-17, x 100.",
        methodology: "METHODOLOGY §3.3; UIS GER upper secondary (ISCED 3)",
        plan: "一（三）總體目標: 高中階段教育毛入學率達90%",
    },
    Entry {
        id: "ger_higher",
        name_zh: "高等教育毛入学率",
        name_en: "Gross enrolment ratio, tertiary",
        unit: "percent",
        definition: "Weighted total higher-education enrolment (在学总规模: each category times its year-keyed weight) of students from the region (生源地), over the population aged 18-22, x 100. Where only location-basis counts exist the value is flagged location_basis.",
        methodology: "METHODOLOGY §3.4 (national formula, MOE 2019; provincial origin-basis variant)",
        plan: "一（三）總體目標: 高等教育毛入學率達40%",
    },
];

/// Look up an indicator id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}
