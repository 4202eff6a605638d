// A small monthly self-inspection template for tests: two manual items and one automatic item,
// each citing a clause of the example city's clause list (examples/minamata/inspection/).
#pragma once

#include <string_view>

namespace sanso::testing {

inline constexpr std::string_view kMonthlyTemplate = R"toml(
[template]
id = "t-monthly"
title = "月次点検"
period = "monthly"

[[items]]
id = "training"
clause = "6(5)"
question = "研修を実施したか"
kind = "manual"

[[items]]
id = "physical"
clause = "6(4)"
question = "サーバ室は施錠されているか"
kind = "manual"

[[items]]
id = "releases"
clause = "6(7)"
question = "解除は二名で行われたか"
kind = "automatic:release-two-person"
)toml";

}  // namespace sanso::testing
