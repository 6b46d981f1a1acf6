DROP TABLE account_confirmations;
