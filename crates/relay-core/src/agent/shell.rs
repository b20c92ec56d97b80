//! The shell agent: the offline default [`CodingAgent`]. Runs the task's command in the repo.
