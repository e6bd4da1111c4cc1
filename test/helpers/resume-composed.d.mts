// Types of resume-composed.mjs (plain JS so that child processes can run it on dist/).
import type { Adam, LRScheduler, Module } from '../../src/index.js';

type Recur = typeof import('../../src/index.js');
export interface Parts { net: Module; opt: Adam; sched: LRScheduler }
export interface Checkpoint { model: Uint8Array; optimizer: string; scheduler: string }
export interface Fingerprint { weights: Record<string, number[]>; lr: number }

export function build(recur: Recur): Parts;
export function step(recur: Recur, parts: Parts, s: number): number;
export function train(recur: Recur, parts: Parts, from: number, to: number): number[];
export function save(recur: Recur, parts: Parts): Checkpoint;
export function restore(recur: Recur, ckpt: Checkpoint): Parts;
export function fingerprint(parts: Parts): Fingerprint;
