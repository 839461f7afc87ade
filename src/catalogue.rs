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
        definition: "Junior-secondary final-grade students (毕业班学生数) in year t over primary entrants (招生数) of the same cohort in year t-8, x 100; entrants of years before the school-level deliveries come from regional (yearbook) tables. Flagged entry_year_missing where the entry year is not in the data, over_100 where migration lifts it above 100.",
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
    Entry {
        id: "inclusive_coverage",
        name_zh: "普惠性幼儿园覆盖率",
        name_en: "Inclusive kindergarten coverage",
        unit: "percent",
        definition: "Children in public kindergartens and in private kindergartens recognised as inclusive (普惠) over all children in kindergarten, x 100.",
        methodology: "METHODOLOGY §8.1",
        plan: "",
    },
    Entry {
        id: "public_kindergarten_share",
        name_zh: "公办园在园幼儿占比",
        name_en: "Share of children in public kindergartens",
        unit: "percent",
        definition: "Children in public kindergartens over all children in kindergarten, x 100.",
        methodology: "METHODOLOGY §8.1",
        plan: "",
    },
    Entry {
        id: "township_central_kindergarten_coverage",
        name_zh: "乡镇公办中心幼儿园覆盖率",
        name_en: "Townships with a public central kindergarten",
        unit: "percent",
        definition: "Townships (乡镇, not 街道) with at least one public central kindergarten over the townships of the division table, x 100.",
        methodology: "METHODOLOGY §8.1",
        plan: "二（一）1: 實現鄉鎮公辦中心幼兒園全覆蓋",
    },
    Entry {
        id: "demonstration_kindergarten_share",
        name_zh: "示范幼儿园占比",
        name_en: "Share of kindergartens that are demonstration kindergartens",
        unit: "percent",
        definition: "Kindergartens with a demonstration level in the register over all kindergartens, x 100.",
        methodology: "METHODOLOGY §8.1",
        plan: "",
    },
    Entry {
        id: "demonstration_kindergartens",
        name_zh: "示范幼儿园数",
        name_en: "Demonstration kindergartens (stock)",
        unit: "count",
        definition: "Kindergartens with a demonstration level in the register.",
        methodology: "METHODOLOGY §8.1",
        plan: "二（一）3",
    },
    Entry {
        id: "counties_with_demonstration_kindergarten",
        name_zh: "有示范幼儿园的县比例",
        name_en: "Counties with at least one demonstration kindergarten",
        unit: "percent",
        definition: "Counties with at least one demonstration kindergarten over counties, x 100.",
        methodology: "METHODOLOGY §8.1",
        plan: "二（一）3: 實現自治區示范幼兒園縣縣全覆蓋",
    },
    Entry {
        id: "standardization_rate",
        name_zh: "义务教育学校办学条件标准化率（代理）",
        name_en: "Standardized compulsory schools (proxy)",
        unit: "percent",
        definition: "Compulsory schools meeting every criterion in the pipeline file (default: the five 达标 flags, a multimedia classroom, broadband, no D-level building, a bed per boarder, no 66+ class) over compulsory schools, x 100. Flagged proxy_definition.",
        methodology: "METHODOLOGY §7",
        plan: "二（二）2: 辦學條件標準化率達到80%以上",
    },
    Entry {
        id: "standardized_schools",
        name_zh: "达到办学标准的义务教育学校数（代理）",
        name_en: "Compulsory schools meeting the standard (proxy)",
        unit: "count",
        definition: "The numerator of standardization_rate.",
        methodology: "METHODOLOGY §7",
        plan: "一（三）; 二（二）2: 10000所",
    },
    Entry {
        id: "pupil_teacher_ratio_preschool",
        name_zh: "幼儿园生师比",
        name_en: "Pupil-teacher ratio, pre-primary",
        unit: "ratio",
        definition: "Children over full-time teachers (专任教师).",
        methodology: "METHODOLOGY §8.4",
        plan: "",
    },
    Entry {
        id: "pupil_teacher_ratio_primary",
        name_zh: "小学生师比",
        name_en: "Pupil-teacher ratio, primary",
        unit: "ratio",
        definition: "Pupils over full-time teachers.",
        methodology: "METHODOLOGY §8.4",
        plan: "",
    },
    Entry {
        id: "pupil_teacher_ratio_junior",
        name_zh: "初中生师比",
        name_en: "Pupil-teacher ratio, junior secondary",
        unit: "ratio",
        definition: "Pupils over full-time teachers.",
        methodology: "METHODOLOGY §8.4",
        plan: "",
    },
    Entry {
        id: "pupil_teacher_ratio_senior",
        name_zh: "普通高中生师比",
        name_en: "Pupil-teacher ratio, general senior high",
        unit: "ratio",
        definition: "Pupils over full-time teachers.",
        methodology: "METHODOLOGY §8.4",
        plan: "",
    },
    Entry {
        id: "teacher_pay_ratio",
        name_zh: "教师与公务员平均工资之比",
        name_en: "Teachers' average pay over civil servants'",
        unit: "ratio",
        definition: "County teachers' average annual pay over local civil servants' average annual pay; county rows only (averages are not summed).",
        methodology: "METHODOLOGY §8.2",
        plan: "二（七）4",
    },
    Entry {
        id: "counties_teacher_pay_not_below_civil_servants",
        name_zh: "教师工资不低于公务员的县比例",
        name_en: "Counties where teachers earn at least what civil servants do",
        unit: "percent",
        definition: "Counties with teacher_pay_ratio >= 1 over counties with data, x 100.",
        methodology: "METHODOLOGY §8.2",
        plan: "二（七）4",
    },
    Entry {
        id: "education_expenditure",
        name_zh: "一般公共预算教育支出",
        name_en: "General public budget spending on education",
        unit: "yuan",
        definition: "Sum over counties of 一般公共预算教育支出.",
        methodology: "METHODOLOGY §8.3",
        plan: "三（二）",
    },
    Entry {
        id: "education_expenditure_per_student",
        name_zh: "生均一般公共预算教育支出",
        name_en: "General public budget education spending per student",
        unit: "yuan",
        definition: "Spending over students, both summed over the region.",
        methodology: "METHODOLOGY §8.3",
        plan: "三（二）",
    },
    Entry {
        id: "education_expenditure_growth",
        name_zh: "一般公共预算教育支出增长",
        name_en: "Growth of education spending",
        unit: "percent",
        definition: "(Spending in t / spending in t-1 - 1) x 100; numerator = t, denominator = t-1.",
        methodology: "METHODOLOGY §8.3",
        plan: "三（二）: 逐年只增不減",
    },
    Entry {
        id: "education_expenditure_per_student_growth",
        name_zh: "生均一般公共预算教育支出增长",
        name_en: "Growth of education spending per student",
        unit: "percent",
        definition: "(Per-student spending in t / in t-1 - 1) x 100.",
        methodology: "METHODOLOGY §8.3",
        plan: "三（二）: 逐年只增不減",
    },
    Entry {
        id: "counties_expenditure_not_decreasing",
        name_zh: "教育支出只增不减的县比例",
        name_en: "Counties where both spending checks hold",
        unit: "percent",
        definition: "Counties whose spending and per-student spending did not fall from the previous year, over counties with data, x 100.",
        methodology: "METHODOLOGY §8.3",
        plan: "三（二）",
    },
    Entry {
        id: "broadband_coverage",
        name_zh: "中小学宽带接入率",
        name_en: "Schools with broadband",
        unit: "percent",
        definition: "Primary and secondary schools (and teaching points) with broadband over all of them, x 100.",
        methodology: "METHODOLOGY §8.6",
        plan: "二（八）1: 基本實現中小學寬帶網絡全覆蓋",
    },
    Entry {
        id: "multimedia_classrooms_in_schools",
        name_zh: "网络多媒体教室数",
        name_en: "Multimedia classrooms in schools (stock)",
        unit: "count",
        definition: "Sum of 网络多媒体教室数 over primary and secondary schools.",
        methodology: "METHODOLOGY §8.6",
        plan: "二（八）1",
    },
    Entry {
        id: "inbound_students",
        name_zh: "来桂留学人数",
        name_en: "International students in the region",
        unit: "count",
        definition: "All foreign students of the calendar year, degree and non-degree (MOE 来华留学统计 definition).",
        methodology: "METHODOLOGY §8.5",
        plan: "二（六）2: 1.5萬人",
    },
    Entry {
        id: "outbound_students",
        name_zh: "出国留学进修人数",
        name_en: "Students and staff going abroad",
        unit: "count",
        definition: "People going abroad to study or train in the year, from the province's records; counting rules not found.",
        methodology: "METHODOLOGY §8.5",
        plan: "二（六）2: 1萬人",
    },
    Entry {
        id: "counties_basic_balance",
        name_zh: "义务教育基本均衡县比例（校际均衡部分）",
        name_en: "Counties passing basic balance (school-to-school part)",
        unit: "percent",
        definition: "Counties whose 2012 composite CV is within the pipeline's limits for primary (0.65) and junior (0.55), over counties with both composites, x 100. Recognition also needs part 1 (school standards), a government score and satisfaction: flagged proxy_definition.",
        methodology: "METHODOLOGY §6.1",
        plan: "二（二）1: 基本均衡發展縣達95%以上",
    },
    Entry {
        id: "counties_quality_balance_resources",
        name_zh: "优质均衡资源配置校际差异达标县比例",
        name_en: "Counties whose 2017 resource CVs are all within limits",
        unit: "percent",
        definition: "Counties whose seven 2017 resource CVs are each within the pipeline's limits (primary 0.50, junior 0.45), over counties with all of them, x 100. Only the CV part of 优质均衡: flagged proxy_definition.",
        methodology: "METHODOLOGY §6.2",
        plan: "",
    },
    Entry {
        id: "retention_junior_local",
        name_zh: "初中三年巩固率（含转入转出）",
        name_en: "Junior-secondary three-year retention, transfer-adjusted",
        unit: "percent",
        definition: "Junior graduates in year t over junior entrants in t-3 plus transfers in minus transfers out of the cohort's stage in t-2..t, x 100; flagged transfers_missing where no transfers were delivered.",
        methodology: "METHODOLOGY §3.2 (local / evaluation variant, S36-a)",
        plan: "",
    },
    Entry {
        id: "survival_to_last_grade_lower_secondary",
        name_zh: "初中末年级保留率（UIS重构队列法）",
        name_en: "Survival rate to the last grade of lower secondary (UIS)",
        unit: "percent",
        definition: "Product over grades 1..8 (primary 1-6, junior 1-3) of (enrolment in grade g+1 in t+1 minus its repeaters) / enrolment in grade g in t, x 100, from sums over the region; flagged repeaters_missing when repeaters are not delivered (taken as 0).",
        methodology: "METHODOLOGY §3.2 (UIS reconstructed cohort, S30-b)",
        plan: "",
    },
    Entry {
        id: "schools_with_a_bed_per_boarder",
        name_zh: "寄宿生一人一床位的学校比例",
        name_en: "Schools with a bed for every boarder",
        unit: "percent",
        definition: "Compulsory schools whose beds are at least their boarders (schools without boarders count as meeting it), over compulsory schools, x 100.",
        methodology: "METHODOLOGY §1 (大通铺), §7 (20条 item 13)",
        plan: "二（二）1: 消除大通鋪",
    },
];

/// Look up an indicator id.
pub fn entry(id: &str) -> Option<&'static Entry> {
    CATALOGUE.iter().find(|e| e.id == id)
}

/// A catalogue entry with owned text: built-in entries and the indicators a pipeline declares
/// (counted projects, balance CVs). Published as `catalogue.parquet` so outputs can join to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub unit: String,
    pub definition: String,
    pub methodology: String,
    pub plan: String,
}

impl From<&Entry> for Described {
    fn from(e: &Entry) -> Self {
        Described {
            id: e.id.into(),
            name_zh: e.name_zh.into(),
            name_en: e.name_en.into(),
            unit: e.unit.into(),
            definition: e.definition.into(),
            methodology: e.methodology.into(),
            plan: e.plan.into(),
        }
    }
}

/// Every indicator a pipeline can publish, described: the built-in entries, then its counted
/// indicators and balance CVs.
pub fn for_pipeline(pipeline: &crate::spec::Pipeline) -> Vec<Described> {
    let mut out: Vec<Described> = CATALOGUE.iter().map(Described::from).collect();
    for c in &pipeline.families.counts {
        out.push(Described {
            id: c.id.clone(),
            name_zh: c.name_zh.clone(),
            name_en: c.name_en.clone(),
            unit: "count".into(),
            definition: format!(
                "Projects of kind {} in the project register, cumulative from {} (0 before), summed over counties into cities and the province.",
                c.kinds.join(" + "),
                c.from_year
            ),
            methodology: "METHODOLOGY §1a".into(),
            plan: c.plan.clone(),
        });
    }
    for b in &pipeline.families.balances {
        for stage in &b.stages {
            for (resource, column, per) in &b.resources {
                let source = match column {
                    crate::spec::ResourceColumn::Register(c) => format!("register column {c}"),
                    crate::spec::ResourceColumn::Teachers(m) => format!("teachers.{m}"),
                };
                out.push(Described {
                    id: b.cv_id(resource, stage),
                    name_zh: format!("{resource}校际差异系数（{stage}）"),
                    name_en: format!("School-to-school CV of {resource} per pupil, {stage}"),
                    unit: "cv".into(),
                    definition: format!(
                        "Enrolment-weighted coefficient of variation across the county's schools of ({source}) x {per} / pupils; numerator = weighted SD, denominator = county mean (sum of resources over sum of pupils). County rows only."
                    ),
                    methodology: "METHODOLOGY §6".into(),
                    plan: String::new(),
                });
            }
            out.push(Described {
                id: b.composite_id(stage),
                name_zh: format!("综合差异系数（{stage}）"),
                name_en: format!("Composite school-to-school CV, {stage}"),
                unit: "cv".into(),
                definition: format!(
                    "Plain mean of the county's CVs of {}; flagged cv_missing when any is missing.",
                    b.resources.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", ")
                ),
                methodology: "METHODOLOGY §6.1".into(),
                plan: String::new(),
            });
        }
    }
    out
}

/// The catalogue as a table (`catalogue.parquet`).
pub fn to_frame(entries: &[Described]) -> crate::Result<crate::frame::DataFrame> {
    use crate::frame::Column;
    let col = |name: &str, f: &dyn Fn(&Described) -> String| Column::new(name.into(), entries.iter().map(f).collect::<Vec<_>>());
    crate::frame::frame(vec![
        col("indicator", &|e| e.id.clone()),
        col("name_zh", &|e| e.name_zh.clone()),
        col("name_en", &|e| e.name_en.clone()),
        col("unit", &|e| e.unit.clone()),
        col("definition", &|e| e.definition.clone()),
        col("methodology", &|e| e.methodology.clone()),
        col("plan", &|e| e.plan.clone()),
    ])
}
