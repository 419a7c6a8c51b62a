// Original file: proto/inference.proto

export interface HealthRequest {}

export interface HealthRequest__Output {}
