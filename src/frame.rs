//! The one door to polars: re-exports of the DSL edustat uses and every call whose API has
//! churned between polars releases (file IO, joins, unpivot, frame construction, reading cells).
//! Other modules build plans with the re-exported expression API (`Expr`, `LazyFrame`, `col`,
//! `lit`, `when`) and read cells only through [`texts`], [`floats`], [`ints`], [`bools`],
//! [`text_lists`] and [`cell`]; no other file names polars (the error type wraps its error).
//! `tests/it/layout.rs` keeps this true, so an upgrade touches this file and the DSL calls.

use std::fs::File;
use std::path::Path;

use polars::prelude::{
    ArrowDataType, ArrowField, ArrowSchema, CompatLevel, FrozenCategories, JoinArgs, JoinType,
    KeyValueMetadata, MaintainOrderJoin, ParquetCompression, ParquetReader, ParquetWriter,
    PlRefPath, ScanArgsParquet, SerReader, StatisticsOptions, UnionArgs, UniqueKeepStrategy,
    UnpivotArgsDSL, cols,
};
pub use polars::prelude::{
    Column, DataFrame, DataType, Expr, IntoLazy, LazyFrame, NULL, PlSmallStr, SortMultipleOptions,
    col, concat_list, lit, when,
};

use crate::error::{Error, Result};

/// True where any of `conditions` holds (false for none). Built as a balanced tree, so that
/// hundreds of conditions stay a shallow expression (deep ones overflow small thread stacks
/// while polars optimises the plan).
pub fn any_of(conditions: Vec<Expr>) -> Expr {
    balanced(conditions, lit(false), Expr::or)
}

/// True where all of `conditions` hold (true for none). Balanced, like [`any_of`].
pub fn all_of(conditions: Vec<Expr>) -> Expr {
    balanced(conditions, lit(true), Expr::and)
}

fn balanced(mut items: Vec<Expr>, empty: Expr, join: fn(Expr, Expr) -> Expr) -> Expr {
    match items.len() {
        0 => empty,
        1 => items.remove(0),
        n => {
            let right = items.split_off(n / 2);
            join(balanced(items, empty.clone(), join), balanced(right, empty, join))
        }
    }
}

/// The value of the first case whose condition holds, else `default`: a balanced tree of
/// `when`s (depth grows with the logarithm of the number of cases).
pub fn first_match(mut cases: Vec<(Expr, Expr)>, default: Expr) -> Expr {
    match cases.len() {
        0 => default,
        1 => {
            let (c, v) = cases.remove(0);
            when(c).then(v).otherwise(default)
        }
        n => {
            let right = cases.split_off(n / 2);
            let left_fires = any_of(cases.iter().map(|(c, _)| c.clone()).collect());
            when(left_fires)
                .then(first_match(cases, default.clone()))
                .otherwise(first_match(right, default))
        }
    }
}

/// The text `raw` holds translated through the table `pairs` (text → text), null where `raw`
/// is null or none of the table's keys: one hash lookup a row (a cast to the enum of the keys,
/// whose category *n* is the *n*th key), however long the table. A table of repeated keys or
/// of more keys than a one-byte enum holds is matched case by case instead.
pub fn translated<'a>(raw: Expr, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Expr {
    let (keys, values): (Vec<&str>, Vec<&str>) = pairs.unzip();
    match position_among(raw.clone(), &keys) {
        Some(at) => {
            let values = polars::prelude::NamedFrom::new(PlSmallStr::EMPTY, values);
            lit::<polars::prelude::Series>(values).gather(at, false)
        }
        None => first_match(
            keys.iter().zip(&values).map(|(k, v)| (raw.clone().eq(lit(*k)), lit(*v))).collect(),
            null_text(),
        ),
    }
}

/// The position of `raw` among `keys` (`UInt32`), null where `raw` is null or none of them;
/// `None` when the keys repeat or are more than a one-byte enum holds.
pub fn position_among(raw: Expr, keys: &[&str]) -> Option<Expr> {
    if keys.is_empty() || keys.len() > usize::from(u8::MAX) {
        return None;
    }
    let categories = FrozenCategories::new(keys.iter().copied()).ok()?;
    let enumerated = raw.cast(DataType::from_frozen_categories(categories));
    Some(enumerated.to_physical().cast(DataType::UInt32))
}

/// A text null: the "no value" of a text column.
pub fn null_text() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// A selector of columns by exact name (for `drop`).
pub fn by_names(names: &[&str]) -> polars::prelude::Selector {
    cols(names.iter().copied())
}

/// Concatenate text expressions (nulls skipped).
pub fn concat_text(parts: Vec<Expr>) -> Expr {
    polars::prelude::concat_str(parts, "", true)
}

/// `text` read as a number times `scale`, as a whole number (Int64); null where the text is
/// not a number or the product is not whole (more decimals than the scale has zeros). Exact for
/// products below 2^53 / 10^6.
pub fn scaled_whole(text: Expr, scale: i64) -> Expr {
    let product = text.cast(DataType::Float64) * lit(scale as f64);
    let whole = product.clone().round(0, polars::prelude::RoundMode::HalfAwayFromZero);
    let off = product - whole.clone();
    when(off.clone().lt_eq(lit(1e-6)).and(off.gt_eq(lit(-1e-6))))
        .then(whole.cast(DataType::Int64))
        .otherwise(lit(NULL).cast(DataType::Int64))
}

/// Left join on equally named key columns.
pub fn left_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    join(left, right, on, JoinType::Left)
}

/// `df` with `columns` of `right` beside every row, looked up by `on` (null where `right` has
/// no match), in `df`'s order. `df`'s own columns are shared, not copied: only the looked-up
/// columns are new. `right` must have one row per key (else the heights differ: an error).
pub fn looked_up(
    df: &DataFrame,
    right: LazyFrame,
    on: &[&str],
    columns: &[&str],
) -> Result<DataFrame> {
    let keys: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    let mut args = JoinArgs::new(JoinType::Left);
    args.maintain_order = MaintainOrderJoin::Left;
    let found = df.clone().lazy().select(keys.clone()).join(right, keys.clone(), keys, args);
    let found = collect(found.select(columns.iter().map(|c| col(*c)).collect::<Vec<_>>()))?;
    Ok(df.hstack(found.columns())?)
}

/// Inner join on equally named key columns.
pub fn inner_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    join(left, right, on, JoinType::Inner)
}

/// Inner join on equally named key columns whose hash table is built on `right`, the smaller
/// side (a register beside every row of a school-level table).
pub fn inner_join_small(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    let keys: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    let args = JoinArgs::new(JoinType::Inner)
        .with_build_side(Some(polars::prelude::JoinBuildSide::ForceRight));
    left.join(right, keys.clone(), keys, args)
}

/// Full outer join on equally named key columns, keys coalesced.
pub fn full_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    let keys: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    let mut args = JoinArgs::new(JoinType::Full);
    args.coalesce = polars::prelude::JoinCoalesce::CoalesceColumns;
    left.join(right, keys.clone(), keys, args)
}

/// One row per element of the list column `name`; an empty or null list gives one null.
pub fn explode(frame: LazyFrame, name: &str) -> LazyFrame {
    frame.explode(
        cols([name]),
        polars::prelude::ExplodeOptions { empty_as_null: true, keep_nulls: true },
    )
}

/// Rows of `left` whose keys do not occur in `right`.
pub fn anti_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    join(left, right, on, JoinType::Anti)
}

/// The rows of `left` with a match in `right` (each once, whatever the number of matches).
pub fn semi_join(left: LazyFrame, right: LazyFrame, on: &[&str]) -> LazyFrame {
    join(left, right, on, JoinType::Semi)
}

fn join(left: LazyFrame, right: LazyFrame, on: &[&str], how: JoinType) -> LazyFrame {
    let keys: Vec<Expr> = on.iter().map(|c| col(*c)).collect();
    left.join(right, keys.clone(), keys, JoinArgs::new(how))
}

/// Wide → long: every column in `on` becomes a row with its name in `variable` and its cell in `value`.
pub fn unpivot(
    frame: LazyFrame,
    index: &[String],
    on: &[String],
    variable: &str,
    value: &str,
) -> LazyFrame {
    frame.unpivot(UnpivotArgsDSL {
        on: Some(cols(on.iter().map(String::as_str))),
        index: cols(index.iter().map(String::as_str)),
        variable_name: Some(variable.into()),
        value_name: Some(value.into()),
    })
}

/// `frame` evaluated once however many plans read it: a plan a family reads twice (summed in
/// total and by area, paired and checked for coverage) without its scans and joins run twice.
pub fn shared(frame: LazyFrame) -> LazyFrame {
    frame.cache()
}

/// Distinct rows, first occurrence kept, order kept.
pub fn distinct(frame: LazyFrame) -> LazyFrame {
    frame.unique_stable(None, UniqueKeepStrategy::First)
}

/// Vertical concatenation of frames with identical schemas.
pub fn concat(frames: Vec<LazyFrame>) -> Result<LazyFrame> {
    if frames.is_empty() {
        return Err(Error::Internal("concat of no frames".into()));
    }
    Ok(polars::prelude::concat(frames, UnionArgs::default())?)
}

/// Ascending sort on the given columns, nulls first, stable.
pub fn sort_by(frame: LazyFrame, by: &[&str]) -> LazyFrame {
    frame.sort(
        by.iter().map(|s| PlSmallStr::from(*s)).collect::<Vec<_>>(),
        SortMultipleOptions::default().with_maintain_order(true),
    )
}

/// `df` in the order [`sort_by`] gives it, gathered one column at a time: the sorted copy of a
/// large table never sits beside the whole unsorted one (each unsorted column is freed as its
/// sorted one is made, a column per core at a time; each is made contiguous first: gathering
/// from one buffer was about twice as fast as from the 270 chunks of a national enrolment).
pub fn sorted_by_columns(df: DataFrame, by: &[&str]) -> Result<DataFrame> {
    const ROW: &str = "__row";
    let keys: Vec<Expr> = by.iter().map(|c| col(*c)).collect();
    let keys = df.clone().lazy().select(keys).with_row_index(ROW, None);
    let order = collect(sort_by(keys, by).select([col(ROW)]))?;
    let order = order.column(ROW)?.idx()?;
    let height = df.height();
    // A column per core at a time (rayon's, as polars' own gather does it).
    use rayon::prelude::*;
    let sorted: Vec<Column> = df
        .into_columns()
        .into_par_iter()
        .map(|column| column.rechunk().take(order))
        .collect::<std::result::Result<_, _>>()?;
    Ok(DataFrame::new(height, sorted)?)
}

/// Do two adjacent rows of `df` (sorted by `keys`) have the same keys (nulls equal)?
pub fn has_adjacent_duplicates(df: &DataFrame, keys: &[&str]) -> Result<bool> {
    let same = keys
        .iter()
        .map(|k| col(*k).eq_missing(col(*k).shift(lit(1))))
        .reduce(|a, b| a.and(b))
        .unwrap_or(lit(false));
    let out = collect(df.clone().lazy().select([same.any(true).alias("__same")]))?;
    Ok(out.column("__same")?.bool()?.get(0).unwrap_or(false))
}

/// A text column from borrowed or owned cells, copied once into polars' own buffers.
pub fn text_column_of<'a>(
    name: &str,
    values: impl Iterator<Item = Option<std::borrow::Cow<'a, str>>>,
) -> Column {
    let chunked: polars::prelude::StringChunked = values.collect();
    Column::new(name.into(), polars::prelude::IntoSeries::into_series(chunked))
}

/// What becomes of one raw cell in [`text_column_of_parts`].
pub enum RawCell {
    /// Kept as it is.
    Same,
    /// No value.
    Null,
    /// Written anew.
    New(String),
}

/// A text column over `parts` (each a text of cells laid end to end and where each cell ends;
/// an empty cell is no value), each cell passed through `cell`. No cell is copied on its own: a
/// cell of up to twelve bytes lives in its view, a longer one is a view into a copy of its
/// part's text (made only where such a cell is kept); cells written anew share one more buffer.
pub fn text_column_of_parts<'a>(
    name: &str,
    parts: &[(&'a str, &'a [u32])],
    mut cell: impl FnMut(&'a str) -> RawCell,
) -> Result<Column> {
    use polars_arrow::array::{Utf8ViewArray, View};
    let rows: usize = parts.iter().map(|(_, ends)| ends.len()).sum();
    let mut views: Vec<View> = Vec::with_capacity(rows);
    let mut valid = polars_arrow::bitmap::MutableBitmap::with_capacity(rows);
    let mut buffers: Vec<polars_buffer::Buffer<u8>> = Vec::with_capacity(parts.len() + 1);
    let mut written: Vec<u8> = Vec::new();
    let written_at = parts.len() as u32;
    let offset = |n: usize| u32::try_from(n).map_err(|_| Error::Internal("text over 4 GiB".into()));
    for (part, (text, ends)) in parts.iter().enumerate() {
        let (mut start, mut long) = (0usize, false);
        for &end in ends.iter() {
            let (from, end) = (start, end as usize);
            start = end;
            let raw = text.get(from..end).unwrap_or("");
            let view = match (raw.is_empty(), cell(raw)) {
                (true, _) | (false, RawCell::Null) => None,
                (false, RawCell::Same) => {
                    long |= raw.len() > View::MAX_INLINE_SIZE as usize;
                    Some(View::new_from_bytes(raw.as_bytes(), part as u32, offset(from)?))
                }
                (false, RawCell::New(new)) => {
                    let at = offset(written.len())?;
                    written.extend_from_slice(new.as_bytes());
                    Some(View::new_from_bytes(new.as_bytes(), written_at, at))
                }
            };
            valid.push(view.is_some());
            views.push(view.unwrap_or_default());
        }
        let kept = if long { text.as_bytes().to_vec() } else { Vec::new() };
        buffers.push(kept.into());
    }
    buffers.push(written.into());
    let array = Utf8ViewArray::try_new(
        ArrowDataType::Utf8View,
        views.into(),
        buffers.into(),
        Some(valid.into()),
    )?;
    let chunked = polars::prelude::StringChunked::with_chunk(name.into(), array);
    Ok(Column::new(name.into(), polars::prelude::IntoSeries::into_series(chunked)))
}

pub fn text_column(name: &str, values: Vec<Option<String>>) -> Column {
    Column::new(name.into(), values)
}

/// Build a frame from columns of equal length.
pub fn frame(columns: Vec<Column>) -> Result<DataFrame> {
    Ok(DataFrame::new_infer_height(columns)?)
}

/// An empty frame with the given typed columns.
pub fn empty_frame(columns: &[(&str, DataType)]) -> Result<DataFrame> {
    frame(columns.iter().map(|(n, t)| Column::new_empty((*n).into(), t)).collect())
}

/// `df` with each listed text column held as an enum of its closed set of values (one byte
/// a row where a text column takes sixteen, and keys that hash and compare as integers). A
/// value outside the set is an error, never a silent null: ingest has already checked them.
pub fn with_enums(df: DataFrame, coded: &[(&str, &[&str])]) -> Result<DataFrame> {
    let text: Vec<(&str, &[&str])> = coded
        .iter()
        .filter(|(name, _)| df.column(name).is_ok_and(|c| c.dtype() == &DataType::String))
        .copied()
        .collect();
    if text.is_empty() {
        return Ok(df);
    }
    collect(as_enums(df.lazy(), &text)?)
}

/// The plan `rows` with each listed column (text) cast to the enum of its values, as
/// [`with_enums`]. The values are the enum's categories in text order, so sorting by an enum
/// orders rows as sorting by its text does.
pub fn as_enums(rows: LazyFrame, coded: &[(&str, &[&str])]) -> Result<LazyFrame> {
    let casts: Vec<Expr> = coded
        .iter()
        .map(|(name, values)| {
            let mut values = values.to_vec();
            values.sort_unstable();
            let categories = FrozenCategories::new(values)?;
            Ok(col(*name).strict_cast(DataType::from_frozen_categories(categories)))
        })
        .collect::<Result<_>>()?;
    Ok(rows.with_columns(casts))
}

/// `df` with every column that holds nothing but nulls stored as one null (a measure no file
/// delivered takes no memory; it reads as the same nulls).
pub fn with_null_columns_unstored(mut df: DataFrame) -> Result<DataFrame> {
    let empty: Vec<(PlSmallStr, DataType)> = df
        .columns()
        .iter()
        .filter(|c| !c.is_empty() && c.null_count() == c.len())
        .map(|c| (c.name().clone(), c.dtype().clone()))
        .collect();
    let height = df.height();
    for (name, dtype) in empty {
        df.with_column(Column::full_null(name, height, &dtype))?;
    }
    Ok(df)
}

/// `df` with every enum column as text again: what the published files hold.
pub fn enums_as_text(df: &DataFrame) -> Result<DataFrame> {
    let casts: Vec<Expr> = df
        .columns()
        .iter()
        .filter(|c| matches!(c.dtype(), DataType::Enum(..) | DataType::Categorical(..)))
        .map(|c| col(c.name().clone()).cast(DataType::String))
        .collect();
    if casts.is_empty() {
        return Ok(df.clone());
    }
    collect(df.clone().lazy().with_columns(casts))
}

/// Rows in a row group of a written Parquet file (polars' own default).
const ROW_GROUP: usize = 512 * 512;

/// Write a frame as Parquet: zstd, full statistics, file-level key-value metadata; a row group
/// at a time. An enum is written as the dictionary-encoded text column polars would write for
/// its text, straight from its categories (no text made per row and hashed back into a
/// dictionary: a quarter of the time of writing a national enrolment); readers see text, as the
/// file's schema says. Its row groups' min and max are those of its categories: true bounds,
/// if wider than the values a group holds.
pub fn write_parquet(frame: &DataFrame, path: &Path, metadata: &[(String, String)]) -> Result<u64> {
    let mut file = ParquetFile::create(path, frame, metadata)?;
    file.write(frame)?;
    file.finish()
}

/// A Parquet file written a frame at a time, as [`write_parquet`] writes one frame: a large
/// table written in parts (a year at a time) that are never held together.
pub struct ParquetFile {
    writer: polars::io::parquet::write::BatchedWriter<File>,
    path: std::path::PathBuf,
    /// Each column's Parquet type and encodings.
    columns: Vec<(polars_parquet::write::ParquetType, Vec<polars_parquet::write::Encoding>)>,
    options: polars_parquet::write::WriteOptions,
}

impl ParquetFile {
    /// Start the file; `shape` has the columns and types of every frame to be written.
    pub fn create(path: &Path, shape: &DataFrame, metadata: &[(String, String)]) -> Result<Self> {
        use polars::prelude::SchemaExt;
        let shape = enums_as_text(&shape.head(Some(0)))?;
        let mut pairs = vec![plain_arrow_schema(&shape)];
        pairs.extend(metadata.iter().cloned());
        let arrow = shape.schema().to_arrow(CompatLevel::newest());
        let encodings =
            arrow.iter_values().map(|f| polars_parquet::write::get_dtype_encoding(&f.dtype));
        let how = (StatisticsOptions::full(), ParquetCompression::Zstd(None));
        let metadata = Some(KeyValueMetadata::from_static(pairs));
        ParquetFile::begin(path, &shape, how, metadata, encodings.collect())
    }

    /// Start a file for edustat alone ([`write_unpublished`]): `shape`'s own types (enums
    /// read back as enums), no statistics, LZ4, and every column but an enum's written plain.
    fn create_unpublished(path: &Path, shape: &DataFrame) -> Result<Self> {
        use polars::prelude::SchemaExt;
        use polars_arrow::datatypes::PhysicalType;
        let arrow = shape.schema().to_arrow(CompatLevel::newest());
        let encodings = arrow.iter_values().map(|field| {
            let mut leaves = polars_parquet::write::get_dtype_encoding(&field.dtype);
            if !matches!(field.dtype.to_physical_type(), PhysicalType::Dictionary(_)) {
                leaves.iter_mut().for_each(|e| *e = polars_parquet::write::Encoding::Plain);
            }
            leaves
        });
        let how = (StatisticsOptions::empty(), ParquetCompression::Lz4Raw);
        ParquetFile::begin(path, shape, how, None, encodings.collect())
    }

    /// The file begun: polars' writer (which writes the footer and its metadata) and the same
    /// statistics and compression for the pages [`ParquetFile::write`] makes.
    fn begin(
        path: &Path,
        shape: &DataFrame,
        (statistics, compression): (StatisticsOptions, ParquetCompression),
        metadata: Option<KeyValueMetadata>,
        encodings: Vec<Vec<polars_parquet::write::Encoding>>,
    ) -> Result<Self> {
        use polars_parquet::write::{CompressionOptions, Version, WriteOptions};
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let mut writer = ParquetWriter::new(file)
            .with_compression(compression)
            .with_statistics(statistics)
            .with_key_value_metadata(metadata)
            .batched(shape.schema())
            .map_err(|e| failed_write(path, e))?;
        let compression = match compression {
            ParquetCompression::Zstd(level) => CompressionOptions::Zstd(level),
            ParquetCompression::Lz4Raw => CompressionOptions::Lz4Raw,
            _ => CompressionOptions::Uncompressed,
        };
        let options =
            WriteOptions { statistics, compression, version: Version::V1, data_page_size: None };
        let types = writer.parquet_schema().fields().to_vec();
        let columns = types.into_iter().zip(encodings).collect();
        Ok(ParquetFile { writer, path: path.to_path_buf(), columns, options })
    }

    /// Write the rows of `frame`, a row group at a time, its columns encoded and compressed on
    /// every core (as polars would write them, one column after another).
    pub fn write(&mut self, frame: &DataFrame) -> Result<()> {
        use rayon::prelude::*;
        let failed = |e: polars::error::PolarsError| failed_write(&self.path, e);
        let options = self.options;
        let mut offset = 0;
        while offset < frame.height() {
            let mut group = frame.slice(offset as i64, ROW_GROUP);
            group.rechunk_mut_par();
            offset += ROW_GROUP;
            for batch in group.iter_chunks(CompatLevel::newest(), false) {
                let pages: Vec<Vec<Vec<polars_parquet::write::CompressedPage>>> = batch
                    .arrays()
                    .par_iter()
                    .zip(&self.columns)
                    .map(|(array, (kind, encoding))| column_pages(array, kind, encoding, options))
                    .collect::<polars::error::PolarsResult<_>>()
                    .map_err(failed)?;
                let pages: Vec<_> = pages.into_iter().flatten().collect();
                self.writer.write_row_group(batch.len() as u64, &pages).map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Finish the file; its size in bytes.
    pub fn finish(self) -> Result<u64> {
        self.writer.finish().map_err(|e| failed_write(&self.path, e))
    }
}

/// One column of a row group as its Parquet leaves' pages, encoded and compressed.
fn column_pages(
    array: &polars_arrow::array::ArrayRef,
    kind: &polars_parquet::write::ParquetType,
    encoding: &[polars_parquet::write::Encoding],
    options: polars_parquet::write::WriteOptions,
) -> polars::error::PolarsResult<Vec<Vec<polars_parquet::write::CompressedPage>>> {
    let leaves = polars_parquet::write::array_to_columns(array, kind.clone(), options, encoding)?;
    let compress = |page: polars::error::PolarsResult<polars_parquet::write::Page>| {
        Ok(polars_parquet::write::compress(page?, Vec::new(), options.compression)?)
    };
    leaves.into_iter().map(|pages| pages.map(compress).collect()).collect()
}

/// A full disk or a vanished folder, said with the file's path.
fn failed_write(path: &Path, e: polars::error::PolarsError) -> Error {
    Error::io(path, std::io::Error::other(e.to_string()))
}

/// The `ARROW:schema` entry readers take their column types from, with plain types: polars
/// describes its text as `string_view` (and `flags` as `large_list<string_view>`), which
/// pyarrow before 14 cannot read at all and pandas cannot turn into a list column. The data in
/// the file is the same Parquet either way (UTF-8 byte arrays, LIST groups); only the hint
/// changes, to `string`, `binary` and `list<…>`. Given, it stops polars writing its own.
fn plain_arrow_schema(frame: &DataFrame) -> (String, String) {
    let fields = frame
        .columns()
        .iter()
        .map(|c| {
            let field = c.field().to_arrow(CompatLevel::newest());
            (field.name.clone(), plain_field(field))
        })
        .collect::<ArrowSchema>();
    let entry = polars_parquet::write::schema_to_metadata_key(&fields);
    (entry.key, entry.value.unwrap_or_default())
}

fn plain_field(field: ArrowField) -> ArrowField {
    let dtype = plain_type(field.dtype.clone());
    ArrowField { dtype, ..field }
}

fn plain_type(dtype: ArrowDataType) -> ArrowDataType {
    match dtype {
        ArrowDataType::Utf8View | ArrowDataType::LargeUtf8 => ArrowDataType::Utf8,
        ArrowDataType::BinaryView | ArrowDataType::LargeBinary => ArrowDataType::Binary,
        ArrowDataType::LargeList(item) | ArrowDataType::List(item) => {
            ArrowDataType::List(Box::new(plain_field(*item)))
        }
        other => other,
    }
}

/// Run one SQL statement over `tables` (name → plan; a name may hold a dot, `staging.schools`)
/// with polars' SQL. A statement polars refuses is the user's error, said with its message.
pub fn sql(tables: &[(String, LazyFrame)], statement: &str) -> Result<DataFrame> {
    let mut context = polars::sql::SQLContext::new();
    for (name, plan) in tables {
        context.register(name, plan.clone());
    }
    let refused = |e: polars::error::PolarsError| Error::Usage(format!("SQL: {e}"));
    context.execute(statement).map_err(refused)?.collect().map_err(refused)
}

/// Each column's name and type, as polars names them (`str`, `i32`, `list[str]`).
pub fn column_types(df: &DataFrame) -> Vec<(String, String)> {
    df.columns().iter().map(|c| (c.name().to_string(), c.dtype().to_string())).collect()
}

/// The columns of a frame, in order (for [`cell`]).
pub fn columns(df: &DataFrame) -> &[Column] {
    df.columns()
}

/// The first `n` rows.
pub fn head(df: &DataFrame, n: usize) -> DataFrame {
    df.head(Some(n))
}

/// Read a whole Parquet file.
pub fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| Error::input(path, format!("not a readable Parquet file ({e})")))
}

/// A plan reading a Parquet file edustat wrote, its `coded` columns (text in the file) cast to
/// their enums as [`as_enums`] does: the same columns and types as the frame that was written.
/// The file is read only when the plan runs, and only the columns and rows it needs.
pub fn scan_parquet(path: &Path, coded: &[(&str, &[&str])]) -> Result<LazyFrame> {
    let args = ScanArgsParquet {
        // The path is a file's, never a pattern or a partitioned folder.
        glob: false,
        hive_options: polars::io::HiveOptions::new_disabled(),
        ..ScanArgsParquet::default()
    };
    let plan = LazyFrame::scan_parquet(PlRefPath::try_from_path(path)?, args)?;
    as_enums(plan, coded)
}

/// A Parquet file's bytes, already read, as a frame.
pub fn read_parquet_bytes(bytes: Vec<u8>) -> Result<DataFrame> {
    Ok(ParquetReader::new(std::io::Cursor::new(bytes)).finish()?)
}

/// A frame as a Parquet file for edustat's own later reading (its column types as polars
/// writes them, no statistics): not one of the published files. LZ4, as [`write_scratch`]:
/// written on every run, read only on the next.
pub fn write_parquet_plain(frame: &DataFrame, path: &Path) -> Result<()> {
    write_unpublished(frame, path)
}

/// A frame as a Parquet file read back within the same run (a large table's rows between the
/// steps of staging it): LZ4, the fastest compression Parquet has, and no statistics.
pub fn write_scratch(frame: &DataFrame, path: &Path) -> Result<()> {
    write_unpublished(frame, path)
}

/// A frame as Parquet for edustat alone: no statistics, LZ4, and every column but an enum's
/// written plain. (polars would try a dictionary for every text and integer column of every
/// row group: two thirds of the time of writing a year of national enrolment, to make a file
/// that is read once.) An enum's codes are its dictionary already. The file keeps polars' own
/// schema, so it reads back with the types it was written with.
fn write_unpublished(frame: &DataFrame, path: &Path) -> Result<()> {
    let mut file = ParquetFile::create_unpublished(path, frame)?;
    file.write(frame)?;
    file.finish()?;
    Ok(())
}

/// Execute a plan.
pub fn collect(frame: LazyFrame) -> Result<DataFrame> {
    static WARNINGS: std::sync::Once = std::sync::Once::new();
    WARNINGS.call_once(|| polars::error::set_warning_function(engine_warning));
    Ok(frame.collect()?)
}

/// Execute a plan on polars' streaming engine: for a join of a large table with a small one
/// that is summed at once (county sums), which then never holds the joined rows. Row order is
/// not kept: callers sort or join the result.
pub fn collect_streamed(frame: LazyFrame) -> Result<DataFrame> {
    let optimizations = frame.get_current_optimizations();
    let engine = polars::prelude::Engine::Streaming;
    let mut out =
        LazyFrame::collect_all_with_engine(vec![frame.logical_plan], engine, optimizations)?;
    match (out.pop(), out.is_empty()) {
        (Some(df), true) => Ok(df),
        _ => Err(Error::Internal("a streamed plan gave other than one result".into())),
    }
}

/// A warning of the engine, in our log rather than on stderr.
fn engine_warning(message: &str, kind: polars::error::PolarsWarning) {
    tracing::debug!(?kind, "polars: {message}");
}

/// One cell of a column as plain Rust values (for writers outside polars).
pub enum Cell {
    Null,
    Float(f64),
    Text(String),
    Int(i64),
    Bool(bool),
    /// A list of texts (`flags`); nulls inside are left out.
    List(Vec<String>),
    /// Anything else, in polars' own text form (dates, structs).
    Other(String),
}

/// The cell at row `i` of `column`.
pub fn cell(column: &Column, i: usize) -> Result<Cell> {
    use polars::prelude::AnyValue;
    Ok(match column.get(i)? {
        AnyValue::Null => Cell::Null,
        AnyValue::Float64(x) => Cell::Float(x),
        AnyValue::Float32(x) => Cell::Float(f64::from(x)),
        AnyValue::String(t) => Cell::Text(t.to_string()),
        AnyValue::StringOwned(t) => Cell::Text(t.to_string()),
        AnyValue::Int8(x) => Cell::Int(i64::from(x)),
        AnyValue::Int16(x) => Cell::Int(i64::from(x)),
        AnyValue::Int32(x) => Cell::Int(i64::from(x)),
        AnyValue::Int64(x) => Cell::Int(x),
        AnyValue::UInt8(x) => Cell::Int(i64::from(x)),
        AnyValue::UInt16(x) => Cell::Int(i64::from(x)),
        AnyValue::UInt32(x) => Cell::Int(i64::from(x)),
        AnyValue::Boolean(b) => Cell::Bool(b),
        AnyValue::List(items) => match items.str() {
            Ok(texts) => Cell::List(
                (0..texts.len()).filter_map(|i| texts.get(i).map(str::to_string)).collect(),
            ),
            Err(_) => Cell::Other(AnyValue::List(items).to_string()),
        },
        other => Cell::Other(other.to_string()),
    })
}

/// The values of a text column, nulls as `None`.
pub fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let column = df.column(name)?.cast(&DataType::String)?;
    let values = column.str()?;
    Ok((0..values.len()).map(|i| values.get(i).map(str::to_string)).collect())
}

/// The values of a numeric column as f64, nulls as `None`.
pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let column = df.column(name)?.cast(&DataType::Float64)?;
    let values = column.f64()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// The values of an integer column as i64, nulls as `None`.
pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let column = df.column(name)?.cast(&DataType::Int64)?;
    let values = column.i64()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// The values of a yes/no column, nulls as `None`.
pub fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>> {
    let values = df.column(name)?.bool()?;
    Ok((0..values.len()).map(|i| values.get(i)).collect())
}

/// The values of a list-of-text column (such as `flags`), a null list as empty.
pub fn text_lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<String>>> {
    let column = df.column(name)?.list()?.clone();
    let mut out = Vec::with_capacity(column.len());
    for i in 0..column.len() {
        let items = match column.get_as_series(i) {
            Some(s) => {
                let texts = s.str()?;
                (0..texts.len()).filter_map(|j| texts.get(j).map(str::to_string)).collect()
            }
            None => Vec::new(),
        };
        out.push(items);
    }
    Ok(out)
}

/// The first value of an integer column (a one-row count), `None` when empty or null.
pub fn first_int(df: &DataFrame, name: &str) -> Result<Option<i64>> {
    Ok(ints(&df.head(Some(1)), name)?.first().copied().flatten())
}

/// `df` with a column `name` holding `value` on every row: a constant, not a buffer per row,
/// and the frame's own columns shared, not copied.
pub fn with_constant_u32(df: &DataFrame, name: &str, value: u32) -> Result<DataFrame> {
    let scalar = polars::prelude::Scalar::new(DataType::UInt32, value.into());
    let constant = Column::new_scalar(name.into(), scalar, df.height());
    Ok(df.hstack(&[constant])?)
}

/// The frame's columns, each with its type, in order.
pub fn columns_of(df: &DataFrame) -> Vec<(String, DataType)> {
    df.columns().iter().map(|c| (c.name().to_string(), c.dtype().clone())).collect()
}

/// Does the frame have a column of this name?
pub fn has_column(df: &DataFrame, name: &str) -> bool {
    df.get_column_index(name).is_some()
}

/// `df` without column `name` (the others shared, not copied).
pub fn without(df: &DataFrame, name: &str) -> Result<DataFrame> {
    Ok(df.drop(name)?)
}

/// Nulls in column `name`.
pub fn null_count(df: &DataFrame, name: &str) -> Result<usize> {
    Ok(df.column(name)?.null_count())
}

/// Does the plan's output have this column? (Resolves the plan's schema, not its rows.)
pub fn plan_has_column(plan: &LazyFrame, name: &str) -> bool {
    plan.clone().collect_schema().is_ok_and(|s| s.contains(name))
}

/// A plan over an in-memory table.
pub fn lazy(df: &DataFrame) -> LazyFrame {
    df.clone().lazy()
}

/// Named columns of a frame read once into plain vectors, for code that walks rows (reports,
/// workbooks, terminal tables): texts (any type, as text), floats and integers.
#[derive(Debug, Default)]
pub struct Rows {
    height: usize,
    texts: std::collections::HashMap<String, Vec<Option<String>>>,
    floats: std::collections::HashMap<String, Vec<Option<f64>>>,
    ints: std::collections::HashMap<String, Vec<Option<i64>>>,
}

impl Rows {
    /// Read the named columns of `df`; a name `df` lacks is an error naming it.
    pub fn read(df: &DataFrame, texts: &[&str], floats: &[&str], ints: &[&str]) -> Result<Rows> {
        let mut rows = Rows { height: df.height(), ..Rows::default() };
        for n in texts {
            rows.texts.insert(n.to_string(), self::texts(df, n)?);
        }
        for n in floats {
            rows.floats.insert(n.to_string(), self::floats(df, n)?);
        }
        for n in ints {
            rows.ints.insert(n.to_string(), self::ints(df, n)?);
        }
        Ok(rows)
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The text at row `i` of column `c` (`None` when null or not read).
    pub fn text(&self, c: &str, i: usize) -> Option<&str> {
        self.texts.get(c).and_then(|v| v[i].as_deref())
    }

    /// The number at row `i` of float column `c`.
    pub fn float(&self, c: &str, i: usize) -> Option<f64> {
        self.floats.get(c).and_then(|v| v[i])
    }

    /// The integer at row `i` of integer column `c`.
    pub fn int(&self, c: &str, i: usize) -> Option<i64> {
        self.ints.get(c).and_then(|v| v[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sexes(values: &[Option<&str>]) -> DataFrame {
        let values = values.iter().map(|v| v.map(str::to_string)).collect();
        frame(vec![text_column("sex", values)]).unwrap()
    }

    const SEXES: &[&str] = &["total", "female", "male"];

    #[test]
    fn raw_cells_become_views_of_their_text_or_are_written_anew() {
        // Two files' cells end to end: "1" | "" | "a name of more than twelve bytes" | ".."
        // and "x" | "1,234".
        let long = "a name of more than twelve bytes";
        let first = format!("1{long}..");
        let first_ends = [1, 1, 1 + long.len() as u32, 3 + long.len() as u32];
        let parts = [(first.as_str(), &first_ends[..]), ("x1,234", &[1, 6][..])];
        let column = text_column_of_parts("c", &parts, |c| match c {
            ".." => RawCell::Null,
            "1,234" => RawCell::New("1234".into()),
            _ => RawCell::Same,
        })
        .unwrap();
        let got = texts(&frame(vec![column]).unwrap(), "c").unwrap();
        let want = [Some("1"), None, Some(long), None, Some("x"), Some("1234")];
        assert_eq!(got, want.map(|c| c.map(str::to_string)).to_vec());
    }

    #[test]
    fn a_code_table_translates_each_label_and_nothing_else() {
        let raw = sexes(&[Some("男"), Some("女"), None, Some("未知"), Some("男")]);
        let pairs = [("男", "male"), ("女", "female")];
        let got =
            |e: Expr| texts(&collect(raw.clone().lazy().select([e.alias("v")])).unwrap(), "v");
        let want =
            vec![Some("male".into()), Some("female".into()), None, None, Some("male".into())];
        // One lookup a row (an enum of the labels).
        assert!(position_among(col("sex"), &["男", "女"]).is_some());
        assert_eq!(got(translated(col("sex"), pairs.into_iter())).unwrap(), want);
        // Labels given twice, or more than a one-byte enum holds: matched case by case, with
        // the same answer (the first of two equal labels wins).
        assert!(position_among(col("sex"), &["男", "男"]).is_none());
        let twice = [("男", "male"), ("女", "female"), ("男", "other")];
        assert_eq!(got(translated(col("sex"), twice.into_iter())).unwrap(), want);
        let filler: Vec<String> = (0..300).map(|i| format!("label {i}")).collect();
        let many: Vec<(&str, &str)> =
            pairs.iter().copied().chain(filler.iter().map(|f| (f.as_str(), "x"))).collect();
        assert!(
            position_among(col("sex"), &many.iter().map(|p| p.0).collect::<Vec<_>>()).is_none()
        );
        assert_eq!(got(translated(col("sex"), many.into_iter())).unwrap(), want);
    }

    #[test]
    fn coded_text_is_an_enum_inside_and_text_again_outside() {
        let df = sexes(&[Some("female"), None, Some("total")]);
        let coded = with_enums(df.clone(), &[("sex", SEXES)]).unwrap();
        assert!(matches!(coded.column("sex").unwrap().dtype(), DataType::Enum(..)));
        // Compared with text as text is.
        let female = collect(lazy(&coded).filter(col("sex").eq(lit("female")))).unwrap();
        assert_eq!(female.height(), 1);
        // Two tables coded apart join on the same enum.
        let other = with_enums(sexes(&[Some("total")]), &[("sex", SEXES)]).unwrap();
        let joined = collect(inner_join(lazy(&coded), lazy(&other), &["sex"])).unwrap();
        assert_eq!(joined.height(), 1);
        let back = enums_as_text(&coded).unwrap();
        assert_eq!(back.column("sex").unwrap().dtype(), &DataType::String);
        assert!(back.equals_missing(&df));
    }

    #[test]
    fn a_column_of_nothing_but_nulls_reads_as_the_same_nulls() {
        let df = frame(vec![
            Column::new("enrolled".into(), vec![Some(3i64), None]),
            Column::new("repeaters".into(), vec![None::<i64>, None]),
        ])
        .unwrap();
        let stored = with_null_columns_unstored(df.clone()).unwrap();
        assert!(matches!(stored.column("repeaters").unwrap(), Column::Scalar(_)));
        assert!(matches!(stored.column("enrolled").unwrap(), Column::Series(_)));
        assert!(stored.equals_missing(&df));
        // Still typed, and summed as the stored nulls are (polars gives 0; edustat guards it).
        let summed = collect(lazy(&stored).select([col("repeaters").sum()])).unwrap();
        assert_eq!(ints(&summed, "repeaters").unwrap(), vec![Some(0)]);
        let summed = collect(lazy(&df).select([col("repeaters").sum()])).unwrap();
        assert_eq!(ints(&summed, "repeaters").unwrap(), vec![Some(0)]);
    }

    /// Rows `n` of a table in three chunks, out of key order: (sex, id) descending, a null sex.
    fn shuffled(n: usize) -> DataFrame {
        let part = |from: usize, to: usize| {
            let ids: Vec<i64> = (from..to).rev().map(|i| i as i64).collect();
            let sex: Vec<Option<&str>> =
                (from..to).rev().map(|i| [Some("male"), Some("female"), None][i % 3]).collect();
            let sex = sex.into_iter().map(|v| v.map(str::to_string)).collect();
            lazy(&frame(vec![Column::new("id".into(), ids), text_column("sex", sex)]).unwrap())
        };
        let parts = vec![part(2 * n / 3, n), part(0, n / 3), part(n / 3, 2 * n / 3)];
        let df = collect(concat(parts).unwrap()).unwrap();
        with_enums(df, &[("sex", SEXES)]).unwrap()
    }

    #[test]
    fn a_table_sorted_a_column_at_a_time_is_the_table_sorted() {
        let df = shuffled(3_000);
        assert!(df.column("id").unwrap().n_chunks() > 1);
        let by = ["sex", "id"];
        let expected = collect(sort_by(lazy(&df), &by)).unwrap();
        let sorted = sorted_by_columns(df, &by).unwrap();
        assert!(sorted.equals_missing(&expected));
        // Nulls first, then the enum's categories in text order: female, male.
        assert_eq!(texts(&sorted, "sex").unwrap()[..1], [None]);
        assert_eq!(ints(&sorted, "id").unwrap()[0], Some(2));
        assert_eq!(texts(&sorted, "sex").unwrap()[1000], Some("female".to_string()));
    }

    #[test]
    fn a_scratch_file_reads_back_as_written_enums_and_all() {
        // Two full row groups and a part one; a text column (plain), an enum (its codes), an
        // integer column with nulls.
        let n = 2 * ROW_GROUP + 7;
        let df = shuffled(n);
        let names: Vec<Option<String>> =
            (0..n).map(|i| Some(format!("school {}", i % 50))).collect();
        let counts: Vec<Option<i64>> = (0..n).map(|i| (i % 7 != 0).then_some(i as i64)).collect();
        let df = df.hstack(&[text_column("name", names), Column::new("n".into(), counts)]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scratch.parquet");
        write_scratch(&df, &path).unwrap();
        let back = collect(scan_parquet(&path, &[]).unwrap()).unwrap();
        assert!(matches!(back.column("sex").unwrap().dtype(), DataType::Enum(..)));
        assert_eq!(back.schema(), df.schema());
        assert!(back.equals_missing(&df));
        assert_eq!(back.height(), n);
        // An empty frame too.
        let empty = df.head(Some(0));
        write_scratch(&empty, &path).unwrap();
        let back = collect(scan_parquet(&path, &[]).unwrap()).unwrap();
        assert_eq!((back.height(), back.schema()), (0, empty.schema()));
    }

    #[test]
    fn a_file_written_a_row_group_at_a_time_reads_back_as_text() {
        // Two full row groups and a part one.
        let n = 2 * ROW_GROUP + 7;
        let df = shuffled(n);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        write_parquet(&df, &path, &[("k".into(), "v".into())]).unwrap();
        let back = read_parquet(&path).unwrap();
        assert_eq!(back.column("sex").unwrap().dtype(), &DataType::String);
        assert!(back.equals_missing(&enums_as_text(&df).unwrap()));
        assert_eq!(back.height(), n);
    }

    #[test]
    fn a_value_outside_the_set_is_an_error_not_a_null() {
        let df = sexes(&[Some("female"), Some("unknown")]);
        assert!(with_enums(df, &[("sex", SEXES)]).is_err());
    }
}
