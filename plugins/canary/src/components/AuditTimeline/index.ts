export { AuditTimeline } from './AuditTimeline';
