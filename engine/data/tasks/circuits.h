#pragma once

// Zoology's Boolean circuit tasks (zoology/data/circuits.py): parity and majority of a string of uniform
// bits, asked once at an end token or at every position of the string. Generated as the reference does,
// with our own documented RNG (engine/data/rng.h) instead of numpy's. Tokens: 0 and 1 are the bits, 2 the
// end token of parity and majority; labels are the tokens 0 and 1.

#include "engine/data/task_registry.h"

namespace zoolab {

// "parity": input_seq_len - 1 bits, then the end token; the label at the end token is the bits' parity.
TaskSpec parity_task_spec();

// "majority" (the reference's `majority`, the rebuttal's binary majority): as parity, but the label is 1
// iff more than half of the bits are 1 (a tie is 0). Needs input_seq_len >= 2.
TaskSpec majority_task_spec();

// "cumulative_parity": input_seq_len bits, each labelled with the parity of the bits up to and including it.
TaskSpec cumulative_parity_task_spec();

// "cumulative_majority": input_seq_len bits, each labelled 1 iff the bits up to and including it have at
// least as many ones as zeros (a tie is 1).
TaskSpec cumulative_majority_task_spec();

}  // namespace zoolab
