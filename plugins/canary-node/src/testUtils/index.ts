/**
 * Test utilities for backend modules of the canary plugin: a loopback proxy that injects faults in
 * front of the servers a provider talks to.
 *
 * @packageDocumentation
 */
export * from './FaultProxy';
