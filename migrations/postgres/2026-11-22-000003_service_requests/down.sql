DROP TABLE service_request_events;
DROP TABLE service_request_messages;
DROP TABLE quote_lines;
DROP TABLE quotes;
DROP TABLE service_requests;
