// The rank's environment as torchrun and srun set it (engine/train/distributed.h): read, validated, and
// refused with the variable and its value named; the contiguous row blocks of the batch split.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "engine/train/distributed.h"
#include "engine/train/distributed_tensors.h"

namespace zoolab {
namespace {

DistributedEnv read(const std::map<std::string, std::string>& variables) {
  return read_distributed_env([&](const char* name) -> const char* {
    const auto found = variables.find(name);
    return found == variables.end() ? nullptr : found->second.c_str();
  });
}

std::string error_of(const std::map<std::string, std::string>& variables) {
  try {
    read(variables);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(DistributedEnv, NothingSetIsOneProcess) {
  const auto env = read({});
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.world_size, 1);
  EXPECT_EQ(env.rank, 0);
}

TEST(DistributedEnv, ReadsTorchrunVariables) {
  const auto env = read({{"RANK", "3"},
                         {"WORLD_SIZE", "4"},
                         {"LOCAL_RANK", "1"},
                         {"MASTER_ADDR", "node7"},
                         {"MASTER_PORT", "29500"}});
  EXPECT_TRUE(env.distributed());
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "node7");
  EXPECT_EQ(env.master_port, 29500);
  EXPECT_EQ(env.source, "torchrun");
}

TEST(DistributedEnv, WorldOfOneNeedsNoRendezvous) {
  const auto env = read({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  EXPECT_FALSE(env.distributed());
}

TEST(DistributedEnv, ReadsSlurmVariablesWithMaster) {
  const auto env = read({{"SLURM_PROCID", "5"},
                         {"SLURM_NTASKS", "8"},
                         {"SLURM_LOCALID", "1"},
                         {"MASTER_ADDR", "gpu01"},
                         {"MASTER_PORT", "29400"}});
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.source, "slurm");
}

TEST(DistributedEnv, TorchrunVariablesWinOverSlurm) {
  const auto env = read({{"RANK", "1"},
                         {"WORLD_SIZE", "2"},
                         {"MASTER_ADDR", "a"},
                         {"MASTER_PORT", "1234"},
                         {"SLURM_PROCID", "0"},
                         {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(env.source, "torchrun");
  EXPECT_EQ(env.rank, 1);
}

TEST(DistributedEnv, RefusesNamingTheVariableAndValue) {
  const std::map<std::string, std::string> master = {{"MASTER_ADDR", "a"}, {"MASTER_PORT", "1234"}};
  auto with = [&](std::map<std::string, std::string> variables) {
    variables.insert(master.begin(), master.end());
    return variables;
  };
  EXPECT_NE(error_of(with({{"WORLD_SIZE", "2"}, {"RANK", "2"}})).find("RANK=\"2\""), std::string::npos);
  EXPECT_NE(error_of(with({{"WORLD_SIZE", "two"}, {"RANK", "0"}})).find("WORLD_SIZE=\"two\""),
            std::string::npos);
  EXPECT_NE(error_of(with({{"WORLD_SIZE", "2"}, {"RANK", "-1"}})).find("RANK=\"-1\""), std::string::npos);
  EXPECT_NE(error_of(with({{"WORLD_SIZE", "2"}})).find("RANK is not set"), std::string::npos);
  EXPECT_NE(
      error_of(with({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"LOCAL_RANK", "x"}})).find("LOCAL_RANK=\"x\""),
      std::string::npos);
  EXPECT_NE(
      error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_PORT", "1"}}).find("MASTER_ADDR is not set"),
      std::string::npos);
  EXPECT_NE(error_of({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT=\"70000\""),
            std::string::npos);
  const auto slurm = error_of({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}});
  EXPECT_NE(slurm.find("MASTER_ADDR is not set"), std::string::npos);
  EXPECT_NE(slurm.find("scontrol show hostnames"), std::string::npos);
  EXPECT_NE(error_of({{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}}).find("SLURM_PROCID=\"4\""),
            std::string::npos);
}

TEST(DistributedEnv, RowBlocksCoverTheBatchInOrder) {
  for (const int world : {1, 2, 3, 5}) {
    for (const int64_t rows : {0, 1, 4, 31, 32}) {
      int64_t next = 0;
      for (int rank = 0; rank < world; ++rank) {
        const auto block = row_block(rows, rank, world);
        EXPECT_EQ(block.first, next) << rows << " rows, rank " << rank << " of " << world;
        EXPECT_GE(block.count, rows / world);
        EXPECT_LE(block.count, rows / world + 1);
        next += block.count;
      }
      EXPECT_EQ(next, rows);
    }
  }
}

}  // namespace
}  // namespace zoolab
