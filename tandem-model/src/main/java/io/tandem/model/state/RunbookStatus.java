package io.tandem.model.state;

public enum RunbookStatus { RUNNING, SUCCEEDED, ABORTED }
