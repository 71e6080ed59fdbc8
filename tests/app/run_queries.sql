-- Runs for the run query tests: `zoolab-cli runs --where` (cli_run_query.sh) and the window's filter box
-- (tests/views/test_run_query_agreement.cpp) read this same database and must keep the same runs
-- (run_queries.txt). Applied with sqlite3 to a database zoolab already created.
INSERT INTO sweeps (id, name, created_at) VALUES (1, 'fig2', '2024-05-01T09:00:00Z');
INSERT INTO runs (id, uid, name, task, mixer, status, created_at, seed, num_parameters, state_size, epochs, steps,
                  sweep_id, tags, config_json) VALUES
  (1, 'query-run-1', 'attn-d64', 'mqar', 'attention', 'finished', '2024-05-01T10:00:00Z', 1, 100000, 65536, 8, 800, 1,
   'baseline, paper',
   '{"data": {"vocab_size": 8192, "train": [{"input_seq_len": 64, "num_kv_pairs": 4}, {"input_seq_len": 128, "num_kv_pairs": 8}]},
     "model": {"d_model": 64, "n_layers": 2, "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 2}}},
     "train": {"learning_rate": 0.001, "max_epochs": 8}}'),
  (2, 'query-run-2', 'based-d128', 'mqar', 'hybrid', 'cancelled', '2024-05-01T11:00:00Z', 2, 200000, 16384, 3, 300, 1, '',
   '{"data": {"vocab_size": 8192, "train": [{"input_seq_len": 256, "num_kv_pairs": 64}]},
     "model": {"d_model": 128, "n_layers": 2, "sequence_mixer": {"name": "hybrid", "kwargs": {"configs": [
       {"name": "base_conv", "kwargs": {}}, {"name": "based", "kwargs": {"feature_dim": 16}}]}}},
     "train": {"learning_rate": 0.0003, "max_epochs": 8}}'),
  (3, 'query-run-3', 'hyena-d64', 'mqar', 'hyena', 'failed', '2024-05-01T12:00:00Z', 3, 90000, 131072, 1, 100, NULL, 'paper',
   '{"data": {"vocab_size": 8192, "train": [{"input_seq_len": 64, "num_kv_pairs": 4}]},
     "model": {"d_model": 64, "n_layers": 2, "sequence_mixer": {"name": "hyena", "kwargs": {}}},
     "train": {"learning_rate": 0.01, "max_epochs": 8}}'),
  (4, 'query-run-4', 'text-gpt', 'text', 'attention', 'finished', '2024-05-01T13:00:00Z', 4, 50000, 524288, 2, 245, NULL, '',
   '{"data": {"task": "text", "vocab_size": 512, "batch_size": [8, 8],
              "text": {"shards": "/tmp/shards", "context_length": 512, "train_tokens": 1000000}},
     "model": {"d_model": 32, "n_layers": 2, "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 1}}},
     "train": {"learning_rate": 0.001, "max_epochs": 1}}'),
  (5, 'query-run-5', 'mamba2-d256-L512-kv64-lr0.0003-wd0.1-seed5-fig2-ablation-with-a-very-long-name', 'mqar', 'mamba2',
   'queued', '2024-05-01T14:00:00Z', 5, 0, 0, 0, 0, NULL, 'ablation',
   '{"data": {"vocab_size": 8192, "train": [{"input_seq_len": 512, "num_kv_pairs": 64}]},
     "model": {"d_model": 256, "n_layers": 2, "sequence_mixer": {"name": "mamba2", "kwargs": {}}},
     "train": {"learning_rate": 0.0003, "max_epochs": 16}}');
INSERT INTO run_summary (run_id, key, last, last_step, min, max, best, best_step) VALUES
  (1, 'valid/accuracy', 0.97, 800, 0.1, 0.995, 0.995, 700),
  (1, 'valid/loss', 0.05, 800, 0.04, 4.0, 0.04, 700),
  (1, 'train/loss', 0.3, 800, 0.2, 3.0, 0.2, 750),
  (2, 'valid/accuracy', 0.5, 300, 0.0, 0.6, 0.6, 200),
  (2, 'train/loss', 1.5, 300, 1.5, 5.0, 1.5, 300),
  (4, 'valid/loss', 3.2, 245, 3.2, 6.0, 3.2, 245),
  (4, 'valid/perplexity', 24.5, 245, 24.5, 400.0, 24.5, 245);
