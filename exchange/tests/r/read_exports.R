# Reads every CSV of an export with base R's read.csv defaults, as a researcher would, and
# prints what it got: for every column its class and its number of NA values, then the
# rows of each documented join and whether the joined-on keys are unique on the "one" side.
# Usage: Rscript read_exports.R DIR "name=key1,key2:other" ...
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
tables <- list()
for (path in sort(Sys.glob(file.path(dir, "*.csv")))) {
  name <- sub("\\.csv$", "", basename(path))
  if (name %in% c("data_dictionary", "codes")) next
  data <- read.csv(path)
  tables[[name]] <- data
  cat(sprintf("rows\t%s\t%d\n", name, nrow(data)))
  for (column in names(data)) {
    cat(sprintf("column\t%s\t%s\t%s\t%d\n", name, column, class(data[[column]])[1],
                sum(is.na(data[[column]]))))
  }
}
for (join in args[-1]) {
  parts <- strsplit(join, "[=:]")[[1]]
  one <- parts[1]
  keys <- strsplit(parts[2], ",")[[1]]
  many <- parts[3]
  joined <- merge(tables[[one]], tables[[many]], by = keys)
  repeats <- anyDuplicated(tables[[one]][keys])
  cat(sprintf("join\t%s\t%s\t%d\t%d\n", one, many, nrow(joined), repeats))
}
