#include "framework/config_reader.h"

#include "tests/support.h"

using namespace gradlab;

TEST_CASE("nearest_name suggests close names only", "[config]") {
  CHECK(nearest_name("kernal", {"kernel_size", "kernel", "stride"}) == "kernel");
  CHECK(nearest_name("lrr", {"lr", "momentum"}) == "lr");
  CHECK(nearest_name("xyzzy", {"lr", "momentum"}).empty());
}

TEST_CASE("ConfigObject reads typed values with paths in every error", "[config][errors]") {
  const nlohmann::json j =
      nlohmann::json::parse(R"({"epochs": 3, "rate": 0.5, "name": "x", "flag": true,
                                                     "inner": {"k": 1.5}})");
  ConfigObject config(j, "");
  CHECK(config.integer("epochs", std::nullopt, 1, 1000) == 3);
  CHECK(config.number("rate", std::nullopt, {0, 1}) == 0.5);
  CHECK(config.string("name", std::nullopt) == "x");
  CHECK(config.boolean("flag", std::nullopt));
  CHECK(config.integer("missing", 7, 0, 10) == 7);
  ConfigObject inner = config.object("inner");
  CHECK_THROWS_WITH(inner.integer("k", std::nullopt, 0, 5),
                    "inner.k: expected an integer in [0, 5], got 1.5");
  CHECK_THROWS_WITH(config.integer("epochs", std::nullopt, 5, 10),
                    "epochs: must be an integer in [5, 10], got 3");
  CHECK_THROWS_WITH(config.boolean("name", std::nullopt),
                    "name: expected true or false, got \"x\"");
  CHECK_THROWS_WITH(ConfigObject(nlohmann::json::array(), "model"),
                    "model: expected an object, got []");
  config.finish();  // every present key was read
}
