export { ProviderFaults, ProviderFaultsIcon } from './ProviderFaults';
