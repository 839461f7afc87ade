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
    Entry {
        id: "large_class_share_compulsory",
        name_zh: "义务教育大班额比例",
        name_en: "Share of compulsory-education classes with 56 or more pupils",
        unit: "percent",
        definition: "Primary and junior classes of 56+ pupils (66+ included) over all their classes, x 100; counted from the size bands the delivery reports.",
        methodology: "METHODOLOGY §5.2",
        plan: "二（二）1: 消除大班額",
    },
    Entry {
        id: "super_large_class_share_compulsory",
        name_zh: "义务教育超大班额比例",
        name_en: "Share of compulsory-education classes with 66 or more pupils",
        unit: "percent",
        definition: "Primary and junior classes of 66+ pupils over all their classes, x 100.",
        methodology: "METHODOLOGY §5.2",
        plan: "二（二）1: 消除大班額",
    },
    Entry {
        id: "large_class_share_senior",
        name_zh: "普通高中大班额比例",
        name_en: "Share of general senior high classes with 56 or more pupils",
        unit: "percent",
        definition: "General senior high classes of 56+ pupils over all their classes, x 100.",
        methodology: "METHODOLOGY §5.1–5.2",
        plan: "",
    },
    Entry {
        id: "super_large_class_share_senior",
        name_zh: "普通高中超大班额比例",
        name_en: "Share of general senior high classes with 66 or more pupils",
        unit: "percent",
        definition: "General senior high classes of 66+ pupils over all their classes, x 100.",
        methodology: "METHODOLOGY §5.1–5.2",
        plan: "",
    },
    Entry {
        id: "kindergarten_over_norm_share",
        name_zh: "幼儿园超额班比例",
        name_en: "Share of kindergarten classes above the norm of their type",
        unit: "percent",
        definition: "Kindergarten classes above the 幼儿园工作规程 norm of their type (小班 25, 中班 30, 大班 35, 混合班 30) over all kindergarten classes, x 100.",
        methodology: "METHODOLOGY §5.1",
        plan: "",
    },
    Entry {
        id: "average_class_size_primary",
        name_zh: "小学平均班额",
        name_en: "Average class size, primary",
        unit: "ratio",
        definition: "Primary pupils over primary classes.",
        methodology: "METHODOLOGY §5",
        plan: "",
    },
    Entry {
        id: "average_class_size_junior",
        name_zh: "初中平均班额",
        name_en: "Average class size, junior secondary",
        unit: "ratio",
        definition: "Junior pupils over junior classes.",
        methodology: "METHODOLOGY §5",
        plan: "",
    },
    Entry {
        id: "average_class_size_senior",
        name_zh: "普通高中平均班额",
        name_en: "Average class size, general senior high",
        unit: "ratio",
        definition: "General senior high pupils over their classes.",
        methodology: "METHODOLOGY §5",
        plan: "",
    },
    Entry {
        id: "counties_meeting_class_size_rule_2020",
        name_zh: "达到2020年大班额要求的县比例",
        name_en: "Counties meeting Guangxi's 2020 class-size rule",
        unit: "percent",
        definition: "Counties with no 66+ classes and at most 5% of classes at 56+ (compulsory), over counties with class data, x 100; the numerator is the number of such counties.",
        methodology: "METHODOLOGY §1 (Guangxi special plan), §5.3",
        plan: "二（二）1",
    },
    Entry {
        id: "counties_meeting_class_size_rule_2018",
        name_zh: "达到2018年大班额要求的县比例",
        name_en: "Counties meeting Guangxi's 2018 class-size rule",
        unit: "percent",
        definition: "Counties with 66+ classes at most 2% and 56+ at most 10% (compulsory), over counties with class data, x 100.",
        methodology: "METHODOLOGY §1 (Guangxi special plan), §5.3",
        plan: "二（二）1",
    },
];

/// Look up an indicator id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}
