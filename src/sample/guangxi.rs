//! Guangxi's divisions and published magnitudes, the facts the synthetic deliveries imitate.
//! Codes and names: docs/methodology.md §9 (NBS codes, 2023), with the code changes of 2014–2021.

/// (code, Chinese name, English name) of the province.
pub const PROVINCE: (&str, &str, &str) =
    ("450000", "广西壮族自治区", "Guangxi Zhuang Autonomous Region");

/// The 14 prefecture-level cities and their current county-level units.
pub const CITIES: &[(&str, &str, &str, &str)] = &[
    (
        "450100",
        "南宁市",
        "Nanning",
        "450102 兴宁区, 450103 青秀区, 450105 江南区, 450107 西乡塘区, 450108 良庆区, 450109 邕宁区, 450110 武鸣区, 450123 隆安县, 450124 马山县, 450125 上林县, 450126 宾阳县, 450181 横州市",
    ),
    (
        "450200",
        "柳州市",
        "Liuzhou",
        "450202 城中区, 450203 鱼峰区, 450204 柳南区, 450205 柳北区, 450206 柳江区, 450222 柳城县, 450223 鹿寨县, 450224 融安县, 450225 融水苗族自治县, 450226 三江侗族自治县",
    ),
    (
        "450300",
        "桂林市",
        "Guilin",
        "450302 秀峰区, 450303 叠彩区, 450304 象山区, 450305 七星区, 450311 雁山区, 450312 临桂区, 450321 阳朔县, 450323 灵川县, 450324 全州县, 450325 兴安县, 450326 永福县, 450327 灌阳县, 450328 龙胜各族自治县, 450329 资源县, 450330 平乐县, 450332 恭城瑶族自治县, 450381 荔浦市",
    ),
    (
        "450400",
        "梧州市",
        "Wuzhou",
        "450403 万秀区, 450405 长洲区, 450406 龙圩区, 450421 苍梧县, 450422 藤县, 450423 蒙山县, 450481 岑溪市",
    ),
    ("450500", "北海市", "Beihai", "450502 海城区, 450503 银海区, 450512 铁山港区, 450521 合浦县"),
    (
        "450600",
        "防城港市",
        "Fangchenggang",
        "450602 港口区, 450603 防城区, 450621 上思县, 450681 东兴市",
    ),
    ("450700", "钦州市", "Qinzhou", "450702 钦南区, 450703 钦北区, 450721 灵山县, 450722 浦北县"),
    (
        "450800",
        "贵港市",
        "Guigang",
        "450802 港北区, 450803 港南区, 450804 覃塘区, 450821 平南县, 450881 桂平市",
    ),
    (
        "450900",
        "玉林市",
        "Yulin",
        "450902 玉州区, 450903 福绵区, 450921 容县, 450922 陆川县, 450923 博白县, 450924 兴业县, 450981 北流市",
    ),
    (
        "451000",
        "百色市",
        "Baise",
        "451002 右江区, 451003 田阳区, 451022 田东县, 451024 德保县, 451026 那坡县, 451027 凌云县, 451028 乐业县, 451029 田林县, 451030 西林县, 451031 隆林各族自治县, 451081 靖西市, 451082 平果市",
    ),
    (
        "451100",
        "贺州市",
        "Hezhou",
        "451102 八步区, 451103 平桂区, 451121 昭平县, 451122 钟山县, 451123 富川瑶族自治县",
    ),
    (
        "451200",
        "河池市",
        "Hechi",
        "451202 金城江区, 451203 宜州区, 451221 南丹县, 451222 天峨县, 451223 凤山县, 451224 东兰县, 451225 罗城仫佬族自治县, 451226 环江毛南族自治县, 451227 巴马瑶族自治县, 451228 都安瑶族自治县, 451229 大化瑶族自治县",
    ),
    (
        "451300",
        "来宾市",
        "Laibin",
        "451302 兴宾区, 451321 忻城县, 451322 象州县, 451323 武宣县, 451324 金秀瑶族自治县, 451381 合山市",
    ),
    (
        "451400",
        "崇左市",
        "Chongzuo",
        "451402 江州区, 451421 扶绥县, 451422 宁明县, 451423 龙州县, 451424 大新县, 451425 天等县, 451481 凭祥市",
    ),
];

/// Retired county codes: (old code, old name, last school year it was used, successor).
/// A school year is labelled by its autumn; the NBS snapshot dates are in docs/methodology.md §9.
pub const RETIRED: &[(&str, &str, i32, &str)] = &[
    ("451025", "靖西县", 2014, "451081"),
    ("451281", "宜州市", 2016, "451203"),
    ("450331", "荔浦县", 2017, "450381"),
    ("451021", "田阳县", 2018, "451003"),
    ("451023", "平果县", 2019, "451082"),
    ("450127", "横县", 2020, "450181"),
];

/// Province-level rates the sample is calibrated to, per school year 2017–2020 (percent).
/// 2016 values and the 2018 preschool and 2020 tertiary figures are published (Guangxi's own
/// reports); the years between are interpolated.
pub const PRESCHOOL: [f64; 4] = [82.7, 85.6, 88.4, 91.0];
pub const SENIOR_SECONDARY: [f64; 4] = [88.6, 89.3, 90.1, 91.2];
pub const HIGHER: [f64; 4] = [36.0, 39.6, 43.6, 47.9];

/// Published Guangxi 2020 counts used for scale: kindergartens and children in them.
pub const KINDERGARTENS_2020: f64 = 13_662.0;
pub const CHILDREN_2020: f64 = 2_266_184.0;
/// Approximate school counts at scale 1 (2020), for the other stages.
pub const PRIMARY_SCHOOLS: f64 = 8_000.0;
pub const JUNIOR_SCHOOLS: f64 = 1_800.0;
pub const SENIOR_SCHOOLS: f64 = 480.0;
pub const VOCATIONAL_SCHOOLS: f64 = 250.0;

/// Guangxi single-year birth cohort size (persons) by year of birth, before mortality.
/// Shaped on the province's births: high in the early 1990s, a trough around 2005, a rise to
/// 2017 and a fall after. Chosen so that the 2020 3–5 population (about 2.49 million) gives
/// the published 2,266,184 children a rate near 91%.
pub fn cohort(birth_year: i32) -> f64 {
    let b = birth_year as f64;
    match birth_year {
        ..=1990 => 880_000.0,
        1991..=2004 => 860_000.0 - (b - 1991.0) * 12_000.0,
        2005..=2012 => 700_000.0 + (b - 2005.0) * 12_000.0,
        2013..=2017 => 790_000.0 + (b - 2013.0) * 14_000.0,
        2018 => 800_000.0,
        2019 => 740_000.0,
        _ => 660_000.0,
    }
}

/// Share of a cohort still alive at `age`.
pub fn survival(age: i32) -> f64 {
    match age {
        ..=49 => 1.0 - age as f64 * 0.0008,
        50..=69 => 0.96 - (age - 50) as f64 * 0.008,
        _ => (0.80 - (age - 70) as f64 * 0.03).max(0.004),
    }
}

/// Share of males at `age` (Guangxi's sex ratio at birth is high; women outlive men).
pub fn male_share(age: i32) -> f64 {
    match age {
        ..=24 => 0.535,
        25..=59 => 0.515,
        60..=79 => 0.49,
        _ => 0.42,
    }
}

/// Counted targets of the plan (docs/methodology.md §1a): (project kind, label in the register, plan
/// section, target by 2020, county-level?). The register is written at real magnitude whatever
/// the scale, because the plan's counts are absolute.
pub const PROJECT_KINDS: &[(&str, &str, f64, bool)] = &[
    ("new_public_kindergarten", "新建城乡公办幼儿园", 550.0, true),
    ("expanded_public_kindergarten", "改扩建城乡公办幼儿园", 1000.0, true),
    ("inclusive_private_kindergarten", "认定扶持多元普惠幼儿园", 3000.0, true),
    ("demonstration_kindergarten", "创建示范幼儿园", 1000.0, true),
    ("kindergarten_curriculum_base", "自治区级幼儿园课程基地", 50.0, true),
    ("new_senior_high", "新建普通高中", 40.0, true),
    ("expanded_senior_high", "扩建普通高中", 60.0, true),
    ("demonstration_senior_high", "自治区示范性普通高中", 20.0, true),
    ("star_senior_high", "星级特色普通高中", 50.0, true),
    ("senior_subject_base", "普通高中学科课程基地", 50.0, true),
    ("demonstration_vocational_school", "自治区示范特色中职学校", 100.0, true),
    ("vocational_brand_programme", "中职品牌专业", 50.0, false),
    ("vocational_training_base", "示范特色专业及实训基地", 120.0, false),
    ("first_class_vocational_college", "国内一流职业院校", 10.0, false),
    ("high_level_vocational_programme", "高水平高职专业", 30.0, false),
    ("community_education_pilot", "社区教育试验区", 20.0, true),
    ("community_education_demonstration", "社区教育示范区", 5.0, true),
    ("first_class_university", "国内同类一流大学", 2.0, false),
    ("characteristic_undergraduate_university", "特色本科高校", 10.0, false),
    ("first_class_discipline", "一流学科", 30.0, false),
    ("discipline_cultivation", "一流学科培育项目", 20.0, false),
    ("undergraduate_brand_programme", "本科品牌专业", 130.0, false),
    ("programme_leader", "专业带头人", 180.0, false),
    ("industry_education_base", "产教融合特色专业及实验实训教学基地", 100.0, false),
    ("new_doctoral_unit", "新增博士学位授予单位", 5.0, false),
    ("new_masters_unit", "新增硕士学位授予单位", 7.0, false),
    ("science_education_base", "科教结合基地", 8.0, false),
    ("national_key_lab", "国家重点实验室", 3.0, false),
    ("moe_key_lab", "教育部重点实验室等", 15.0, false),
    ("university_key_lab", "广西高校重点实验室", 100.0, false),
    ("think_tank", "新型高端智库", 6.0, false),
    ("humanities_research_base", "人文社科重点研究基地", 20.0, false),
    ("teacher_education_centre", "教师教育协同发展中心", 7.0, false),
    ("teacher_practice_base", "示范性教师教育实践基地", 350.0, false),
    ("faculty_abroad", "高校教师出国深造", 500.0, false),
    ("broadband_connected_school", "未联网中小学接入宽带", 1400.0, true),
    ("broadband_upgraded_school", "中小学宽带提速升级", 9000.0, true),
    ("multimedia_classroom", "普通教室配备多媒体教学设备", 45000.0, true),
    ("key_improvement_county", "基础教育重点提升县", 10.0, true),
];
