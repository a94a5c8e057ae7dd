import { parentPort, workerData } from 'node:worker_threads';
import { generateDemoMarket } from './demo.ts';

/** Generates one demo market off the main thread (see generateDemoInWorker); its prices are shared memory. */
const { seed, end } = workerData as { seed: number; end: string };
parentPort?.postMessage(generateDemoMarket(seed, end));
