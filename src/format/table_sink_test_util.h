// For format tests: a leveldb::WritableFile that collects a table in memory.
#ifndef TFMODEL_FORMAT_TABLE_SINK_TEST_UTIL_H_
#define TFMODEL_FORMAT_TABLE_SINK_TEST_UTIL_H_

#include <string>

#include "leveldb/env.h"
#include "leveldb/status.h"

namespace tfmodel::testing {

struct TableSink : leveldb::WritableFile {
  std::string out;
  leveldb::Status Append(const leveldb::Slice& d) override {
    out.append(d.data(), d.size());
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }
};

}  // namespace tfmodel::testing

#endif  // TFMODEL_FORMAT_TABLE_SINK_TEST_UTIL_H_
