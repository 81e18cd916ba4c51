export { RevocationList } from './revocation-list';
