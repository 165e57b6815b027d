import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { defaultJobOptions, type QueueName } from './definitions.js';

/** A queue with the project's prefix and default job options. */
export function createQueue(name: QueueName, connection: Redis, prefix: string): Queue {
  return new Queue(name, { connection, prefix, defaultJobOptions });
}
